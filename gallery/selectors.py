"""Reads of the gallery: city search, cities in view, nearest city, artworks and their lineage.

Public reads leave hidden artworks out (curators hide them); `include_hidden=True` is for
curators' own pages.
"""
import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, F, Max, Min, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Floor, RowNumber

from gallery.models import Artwork, City, ComposeStep, Region
from gallery.text import fold
from generation.models import Kind, ModelVersion

ARTWORK_SORTS = {
    "newest": ("-created", "-id"),
    "most_viewed": ("-view_count", "-created", "-id"),
}
# The map of artworks keeps one artwork per grid cell of about a quarter of a 256-pixel tile.
MAP_CELLS_PER_TILE = 4


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.west > self.east


def city_search(*, query: str, limit: int) -> QuerySet[City]:
    """Cities whose name starts with `query`, accents and case ignored, most populous first."""
    return City.objects.filter(search_name__startswith=fold(query)).order_by("-population", "id")[:limit]


def _in_bbox(bbox: BBox) -> Q:
    """Rows whose lat/lon lie inside a box; a box with west > east crosses the antimeridian."""
    if bbox.crosses_antimeridian:
        in_lon = Q(lon__gte=bbox.west) | Q(lon__lte=bbox.east)
    else:
        in_lon = Q(lon__gte=bbox.west, lon__lte=bbox.east)
    return in_lon & Q(lat__gte=bbox.south, lat__lte=bbox.north)


def city_in_bbox(*, bbox: BBox, limit: int) -> QuerySet[City]:
    """The most populous cities inside a box."""
    return City.objects.filter(_in_bbox(bbox)).order_by("-population", "id")[:limit]


def city_nearest(*, lat: float, lon: float, within_km: float = 50.0, city_radius_km: float = 15.0) -> City | None:
    """The city a point belongs to: the most populous within `city_radius_km` (so a click in
    central Tokyo is Tokyo, not one of its districts), else the nearest within `within_km`."""
    dlat = within_km / 111.0
    dlon = min(180.0, dlat / max(math.cos(math.radians(lat)), 0.01))
    west, east = lon - dlon, lon + dlon
    in_lon = Q(lon__gte=west, lon__lte=east)
    if west < -180:
        in_lon |= Q(lon__gte=west + 360)
    if east > 180:
        in_lon |= Q(lon__lte=east - 360)
    candidates = City.objects.filter(in_lon, lat__gte=lat - dlat, lat__lte=lat + dlat)
    # Cities may share their coordinates exactly (GeoNames has such pairs): ties go to the more
    # populous, then to the lower GeoNames id, so the same point always names the same city.
    by_distance = sorted(
        ((_haversine_km(lat, lon, c.lat, c.lon), c) for c in candidates),
        key=lambda pair: (pair[0], -pair[1].population, pair[1].pk),
    )
    close = [city for distance, city in by_distance if distance <= city_radius_km]
    if close:
        return min(close, key=lambda city: (-city.population, city.pk))
    if by_distance and by_distance[0][0] <= within_km:
        return by_distance[0][1]
    return None


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def _with_lineage(queryset: QuerySet[Artwork]) -> QuerySet[Artwork]:
    public_children = Prefetch(
        "children",
        queryset=Artwork.objects.filter(hidden=False).select_related("city").order_by("created", "id"),
        to_attr="public_children",
    )
    return queryset.select_related("city", "model_version", "parent__city").prefetch_related(public_children)


def artwork_get(*, artwork_id: int, include_hidden: bool = False) -> Artwork | None:
    artworks = Artwork.objects.all() if include_hidden else Artwork.objects.filter(hidden=False)
    return _with_lineage(artworks).filter(pk=artwork_id).first()


def artwork_list(
    *,
    city: int | None = None,
    country: str | None = None,
    kind: str | None = None,
    model_version: int | None = None,
    created_from: datetime.date | None = None,
    created_to: datetime.date | None = None,
    sort: str = "newest",
    include_hidden: bool = False,
) -> QuerySet[Artwork]:
    """Artworks matching every filter given (city and model version by id, country by ISO code,
    dates inclusive, in UTC), newest or most viewed first."""
    artworks = Artwork.objects.all() if include_hidden else Artwork.objects.filter(hidden=False)
    filters = {
        "city_id": city,
        "city__country_code": country,
        "kind": kind,
        "model_version_id": model_version,
        "created__date__gte": created_from,
        "created__date__lte": created_to,
    }
    artworks = artworks.filter(**{lookup: value for lookup, value in filters.items() if value is not None})
    return _with_lineage(artworks).order_by(*ARTWORK_SORTS[sort])


def artwork_map(*, bbox: BBox, zoom: int, limit: int, **filters) -> list[Artwork]:
    """The artworks to show on a map view: inside `bbox`, at most one per grid cell at this zoom
    (the most viewed of the cell, then the newest), each with `cell_count`, the number of
    artworks its marker stands for."""
    cell = 360.0 / 2**zoom / MAP_CELLS_PER_TILE
    cell_of = [Floor(F("lon") / cell), Floor(F("lat") / cell)]
    order = [F("view_count").desc(), F("created").desc(), F("id").desc()]
    located = artwork_list(**filters).filter(_in_bbox(bbox), lat__isnull=False, lon__isnull=False)
    located = located.select_related(None).prefetch_related(None).select_related("city")  # no lineage needed
    thinned = located.annotate(
        rank_in_cell=Window(RowNumber(), partition_by=cell_of, order_by=order),
        cell_count=Window(Count("id"), partition_by=cell_of),
    ).filter(rank_in_cell=1)
    return list(thinned.order_by(*ARTWORK_SORTS["most_viewed"])[:limit])


def artwork_extent(**filters) -> BBox | None:
    """The box around the places of the artworks matching the filters; None if none has a place."""
    located = artwork_list(**filters).filter(lat__isnull=False, lon__isnull=False)
    bounds = located.aggregate(west=Min("lon"), south=Min("lat"), east=Max("lon"), north=Max("lat"))
    return BBox(**bounds) if bounds["west"] is not None else None


def artwork_parent(*, artwork: Artwork) -> Artwork | None:
    """The artwork this one was made from, unless it is hidden."""
    parent = artwork.parent
    return parent if parent is not None and not parent.hidden else None


def artwork_children(*, artwork: Artwork) -> list[Artwork]:
    """The public artworks made from this one (variations and edits), oldest first."""
    if hasattr(artwork, "public_children"):
        return artwork.public_children
    return list(artwork.children.filter(hidden=False).select_related("city").order_by("created", "id"))


def artwork_facets() -> dict:
    """What the gallery's filter form offers: the cities, countries and model versions that
    public artworks have."""
    public = Q(artworks__hidden=False)
    cities = City.objects.filter(public).distinct().order_by("name", "id")
    countries = sorted(set(cities.values_list("country_code", flat=True)))
    model_versions = ModelVersion.objects.filter(public).distinct().order_by("kind", "name", "id")
    return {"cities": list(cities), "countries": countries, "model_versions": list(model_versions)}


def city_of_place(*, place: dict) -> City | None:
    """The city a job's place ({"city", ...} or {"lat", "lon"}) is of: the one named, else the
    one its point belongs to (`city_nearest`); None for inputs with no place."""
    if "city" in place:
        return City.objects.filter(pk=place["city"]).first()
    if place.get("lat") is None:
        return None
    return city_nearest(lat=place["lat"], lon=place["lon"])


def compose_background_find(*, background: dict, model_version: ModelVersion) -> Artwork | None:
    """The latest public background alone (a scene of no objects) of a place (canonical
    `background` inputs) painted by a compose model version, if any."""
    return Artwork.objects.filter(
        kind=Kind.COMPOSE, model_version=model_version, hidden=False, parent=None,
        inputs__background=background, inputs__objects=[],
    ).order_by("-created", "-id").first()


def compose_steps(*, artwork: Artwork) -> list[ComposeStep]:
    """A composed artwork's steps, x0 (the background) first."""
    return list(artwork.compose_steps.order_by("index"))


def artwork_find(*, request_key: str) -> Artwork | None:
    return Artwork.objects.filter(request_key=request_key).first()


def region_find(*, request_key: str) -> Region | None:
    return Region.objects.filter(request_key=request_key).first()


def region_get(*, region_id: int) -> Region | None:
    return Region.objects.filter(pk=region_id).first()


def region_artworks(*, region: Region) -> list[Artwork]:
    """The region's visible views, in the order of its spots (west to east)."""
    return list(region.artworks.filter(hidden=False).select_related("city").order_by("pk"))
