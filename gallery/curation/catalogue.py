"""The catalogue of an exhibition as a zip: the stored PNGs at full resolution (their text chunks
carry the provenance), captions.csv, and catalogue.html, styled for print, showing the images
from the zip by relative path. Hidden artworks are left out."""
import csv
import hashlib
import io
import zipfile
from collections.abc import Callable

from django.template.loader import render_to_string
from django.utils.text import slugify

from gallery.models import Exhibition, ExhibitionItem
from gallery.text import fold

CAPTION_COLUMNS = [
    "position", "title", "wall_text", "kind", "seed", "model_version", "model_sha256", "image_sha256", "image", "permalink",
]
# A cell starting with one of these is a formula to a spreadsheet; a leading apostrophe keeps it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 1024 * 1024


def _image_name(position: int, item: ExhibitionItem) -> str:
    return f"images/{position:02d}-{slugify(fold(item.artwork.place_label)) or 'artwork'}-{item.artwork.pk}.png"


def _copy_image(archive: zipfile.ZipFile, item: ExhibitionItem, name: str) -> str:
    """Copy the stored PNG into the zip a chunk at a time; returns its sha256."""
    digest = hashlib.sha256()
    entry = zipfile.ZipInfo(name, date_time=item.artwork.created.timetuple()[:6])
    with item.artwork.image.open("rb") as source, archive.open(entry, "w") as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def _cell(value) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def catalogue_write(*, exhibition: Exhibition, file, absolute_url: Callable[[str], str]) -> None:
    """Write the catalogue of an exhibition (with its `shown_items`) as a zip into `file`."""
    works, rows = [], []
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for position, item in enumerate(exhibition.shown_items, start=1):
            artwork, name = item.artwork, _image_name(position, item)
            image_sha256 = _copy_image(archive, item, name)  # PNGs are compressed already: stored as they are
            permalink = absolute_url(artwork.get_absolute_url())
            works.append({"position": position, "item": item, "artwork": artwork, "image": name, "permalink": permalink})
            rows.append([
                position, artwork.place_label, item.wall_text, artwork.kind, artwork.seed, artwork.model_version.name,
                artwork.model_sha256, image_sha256, name, permalink,
            ])
        captions = io.StringIO()
        writer = csv.writer(captions)
        writer.writerow(CAPTION_COLUMNS)
        writer.writerows([[_cell(value) for value in row] for row in rows])
        archive.writestr("captions.csv", captions.getvalue())
        page = render_to_string("gallery/exhibitions/catalogue.html", {
            "exhibition": exhibition, "works": works, "exhibition_url": absolute_url(exhibition.get_absolute_url()),
        })
        archive.writestr("catalogue.html", page)
