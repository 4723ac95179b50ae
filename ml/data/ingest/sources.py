"""Where photos come from (a folder, a CSV/JSONL manifest) and how one is decoded safely.

A source yields `Candidate`s (a photo to read, with coordinates when the source knows them) and
`Skip`s (what could not even become a candidate, e.g. a bad manifest row, with its line).
`open_photo` turns a candidate's bytes into an RGB image or raises `PhotoError` with a reason.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from ml.data.ingest.exif import gps_of

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic"}
DEFAULT_MAX_PIXELS = 64_000_000  # bigger photos are refused as possible decompression bombs

REASON_NOT_IMAGE = "not an image Pillow can read"
REASON_TRUNCATED = "truncated or corrupt image data ({})"
REASON_BOMB = "image too large ({} pixels > {}): possible decompression bomb"
REASON_NO_GPS = "no GPS coordinates in EXIF"
REASON_UNREADABLE = "cannot read file ({})"


class PhotoError(Exception):
    """Why one photo is skipped (the message is the reason reported)."""


@dataclass
class Candidate:
    name: str                                  # what reports show: a path or a URL
    read: Callable[[], bytes]                  # the encoded photo
    lat: float | None = None                   # None: take it from EXIF
    lon: float | None = None
    caption: str = ""
    licence: str = ""
    source: dict = field(default_factory=dict)  # provenance written to the manifest row


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str


@contextlib.contextmanager
def pixel_limit(max_pixels: int):
    """Pillow's decompression-bomb limit set to `max_pixels`, its warning raised as an error."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def open_photo(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[Image.Image, tuple | None]:
    """Decode `data` fully: (RGB image upright by its EXIF orientation, (lat, lon) or None)."""
    with pixel_limit(max_pixels):
        try:
            with Image.open(io.BytesIO(data)) as image:
                gps = gps_of(image)
                image.load()
                upright = ImageOps.exif_transpose(image)
                rgb = upright.convert("RGB")
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError(REASON_BOMB.format(_claimed_pixels(data), max_pixels)) from None
        except UnidentifiedImageError:
            raise PhotoError(REASON_NOT_IMAGE) from None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise PhotoError(REASON_TRUNCATED.format(str(error) or type(error).__name__)) from None
    return rgb, gps


def _claimed_pixels(data: bytes) -> str:
    """The size an image header claims, read with no pixel limit (nothing is decoded)."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings(), Image.open(io.BytesIO(data)) as image:
            warnings.simplefilter("ignore")
            return f"{image.width}x{image.height}"
    except Exception:
        return "?"
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def read_file(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise PhotoError(REASON_UNREADABLE.format(error.strerror or error)) from None
    return read


def folder_candidates(folder: Path) -> Iterator[Candidate]:
    """Every file with a photo suffix under `folder`, sorted; coordinates come from EXIF."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES):
        relative = path.relative_to(folder).as_posix()
        yield Candidate(name=str(path), read=read_file(path),
                        source={"kind": "folder", "path": relative})


# --- manifests ----------------------------------------------------------------------------
MANIFEST_PATH_KEYS = ("path", "image", "file")
MANIFEST_CAPTION_KEYS = ("caption", "title")
MANIFEST_LICENCE_KEYS = ("licence", "license")


def _first(row: dict, keys) -> str:
    for key in keys:
        value = row.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _manifest_rows(file: Path) -> Iterator[tuple[int, dict | str]]:
    """(line number, row dict) or (line number, why it is unreadable)."""
    text = file.read_text(encoding="utf-8-sig")
    if file.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            yield reader.line_num, {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"invalid JSON ({error.msg})"
            continue
        yield number, ({str(k).lower(): v for k, v in row.items()} if isinstance(row, dict) else "not a JSON object")


def _check_manifest_row(row: dict) -> tuple[str, float, float] | str:
    path = _first(row, MANIFEST_PATH_KEYS)
    if not path:
        return "no path"
    try:
        lat, lon = float(row.get("lat")), float(row.get("lon"))
    except (TypeError, ValueError):
        return f"lat/lon are not numbers ({row.get('lat')!r}, {row.get('lon')!r})"
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return f"lat/lon out of range ({lat}, {lon})"
    return path, lat, lon


def manifest_candidates(file: Path) -> Iterator[Candidate | Skip]:
    """Rows of a CSV (with a header) or JSONL manifest; paths are relative to the file."""
    root = file.parent
    for number, row in _manifest_rows(file):
        checked = row if isinstance(row, str) else _check_manifest_row(row)
        if isinstance(checked, str):
            yield Skip(str(file), f"line {number}: {checked}")
            continue
        path, lat, lon = checked
        photo = (root / path)
        yield Candidate(name=str(photo), read=read_file(photo), lat=lat, lon=lon,
                        caption=_first(row, MANIFEST_CAPTION_KEYS), licence=_first(row, MANIFEST_LICENCE_KEYS),
                        source={"kind": "manifest", "path": path, "line": number})
