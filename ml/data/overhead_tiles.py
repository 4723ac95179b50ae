"""Overhead tiles of real places: where the `ground` generator's overhead views come from.

A source maps (lat, lon, size) to a uint8 (size, size, 3) tile centred on the spot:

    geoscenes            GeoScenes renders the tile (the default; `ml.data.geoscenes.spots`)
    xyz:FOLDER           an XYZ tile tree FOLDER/<z>/<x>/<y>.png|.jpg in Web Mercator (the
                         deepest zoom present is used); the window of one tile's side centred
                         on the spot is cut from the (up to four) tiles it overlaps
    images:FOLDER        georeferenced images, each with a sidecar JSON of its bounds
                         (<name>.json: {"west", "south", "east", "north"} in degrees); the
                         square of `window` pixels centred on the spot is cut from the first
                         image that holds it

`python -m ml pair-overhead DIR --tiles SPEC` pairs an ingested photo dataset with tiles by
location, as the research paired ground photos with overhead imagery: each row whose spot a tile
covers gets `overhead/<id>.png`, and the manifest is rewritten with its `"overhead"` key.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from ml.cli import CommandError

Overhead = Callable[[float, float, int], np.ndarray]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
SIDECAR_WINDOW = 256
ERROR_SPEC = "--tiles {!r}: give geoscenes, xyz:FOLDER or images:FOLDER"
ERROR_NO_TILES = "{}: no tiles found"


class TileMissing(LookupError):
    """No tile of the source covers the spot."""


def geoscenes_overhead(lat: float, lon: float, size: int) -> np.ndarray:
    from ml.data.geoscenes.spots import overhead_at

    return overhead_at(lat, lon, size)


class XYZTiles:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        zooms = [int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit()] if self.root.is_dir() else []
        if not zooms:
            raise ValueError(ERROR_NO_TILES.format(self.root))
        self.zoom = max(zooms)

    def _tile(self, x: int, y: int) -> Image.Image | None:
        x %= 2**self.zoom
        for suffix in IMAGE_SUFFIXES:
            path = self.root / str(self.zoom) / str(x) / f"{y}{suffix}"
            if path.is_file():
                with Image.open(path) as image:
                    return image.convert("RGB")
        return None

    def __call__(self, lat: float, lon: float, size: int) -> np.ndarray:
        first = self._tile(*_tile_of(lat, lon, self.zoom)[:2])
        if first is None:
            raise TileMissing(f"no tile at zoom {self.zoom} covers ({lat}, {lon})")
        side = first.width
        fx, fy = _tile_of(lat, lon, self.zoom)[2:]
        px, py = fx * side, fy * side  # the spot in global pixels at this zoom
        left, top = int(round(px - side / 2)), int(round(py - side / 2))
        window = Image.new("RGB", (side, side))
        for tx in range(left // side, (left + side - 1) // side + 1):
            for ty in range(top // side, (top + side - 1) // side + 1):
                tile = self._tile(tx, ty) if 0 <= ty < 2**self.zoom else None
                if tile is None:
                    raise TileMissing(f"tile {self.zoom}/{tx}/{ty} around ({lat}, {lon}) is missing")
                window.paste(tile, (tx * side - left, ty * side - top))
        return np.asarray(window.resize((size, size), Image.Resampling.BOX))


class SidecarTiles:
    def __init__(self, root: str | os.PathLike, window: int = SIDECAR_WINDOW):
        self.root, self.window = Path(root), window
        self.images = []
        for sidecar in sorted(self.root.glob("*.json")) if self.root.is_dir() else []:
            bounds = json.loads(sidecar.read_text(encoding="utf-8"))
            image = next((sidecar.with_suffix(s) for s in IMAGE_SUFFIXES if sidecar.with_suffix(s).is_file()), None)
            if image is not None:
                self.images.append((image, tuple(float(bounds[k]) for k in ("west", "south", "east", "north"))))
        if not self.images:
            raise ValueError(ERROR_NO_TILES.format(self.root))

    def __call__(self, lat: float, lon: float, size: int) -> np.ndarray:
        for path, (west, south, east, north) in self.images:
            if south <= lat <= north and west <= lon <= east:
                with Image.open(path) as image:
                    image = image.convert("RGB")
                x = (lon - west) / (east - west) * image.width
                y = (north - lat) / (north - south) * image.height
                side = min(self.window, image.width, image.height)
                left = int(min(max(x - side / 2, 0), image.width - side))
                top = int(min(max(y - side / 2, 0), image.height - side))
                crop = image.crop((left, top, left + side, top + side))
                return np.asarray(crop.resize((size, size), Image.Resampling.BOX))
        raise TileMissing(f"no image covers ({lat}, {lon})")


def open_source(spec: str) -> Overhead:
    """The overhead source a spec names (ValueError if it cannot be opened)."""
    kind, _, folder = spec.partition(":")
    if spec == "geoscenes":
        return geoscenes_overhead
    if kind == "xyz" and folder:
        return XYZTiles(folder)
    if kind == "images" and folder:
        return SidecarTiles(folder)
    raise ValueError(ERROR_SPEC.format(spec))


def _tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int, float, float]:
    """Web Mercator: the tile (x, y) holding the spot, and the spot in tile units."""
    lat = max(min(lat, 85.0511), -85.0511)
    n = 2**zoom
    fx = (lon + 180.0) / 360.0 * n
    fy = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return int(fx) % n, min(int(fy), n - 1), fx, fy


# ---------------------------------------------------------------------------------------------
# python -m ml pair-overhead


def register(subparsers) -> None:
    parser = subparsers.add_parser("pair-overhead", help="pair a photo dataset with overhead tiles by location",
                                   description="Give each photo of a dataset folder the overhead tile of its spot.")
    parser.add_argument("data", type=Path, metavar="DIR", help="dataset folder (python -m ml ingest ...)")
    parser.add_argument("--tiles", required=True, help="geoscenes, xyz:FOLDER or images:FOLDER")
    parser.set_defaults(func=run_pair)


def run_pair(args) -> int:
    manifest = args.data / "manifest.jsonl"
    if not manifest.is_file():
        raise CommandError(f"{args.data}: no manifest.jsonl; is this a dataset folder?")
    try:
        source = open_source(args.tiles)
    except ValueError as error:
        raise CommandError(str(error)) from None
    paired, missing = pair_overhead(args.data, source)
    print(f"paired {paired} photos with an overhead tile; {missing} had none")
    return 0


def pair_overhead(root: Path, source: Overhead) -> tuple[int, int]:
    """Write overhead/<id>.png for each row a tile covers and rewrite the manifest with them."""
    (root / "overhead").mkdir(exist_ok=True)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    paired = missing = 0
    for row in rows:
        with Image.open(root / row["image"]) as photo:
            size = photo.width
        try:
            tile = source(float(row["lat"]), float(row["lon"]), size)
        except TileMissing:
            row.pop("overhead", None)
            missing += 1
            continue
        Image.fromarray(tile, "RGB").save(root / "overhead" / f"{row['id']}.png")
        row["overhead"] = f"overhead/{row['id']}.png"
        paired += 1
    temporary = root / "manifest.jsonl.tmp"
    temporary.write_text("".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows),
                         encoding="utf-8")
    temporary.replace(root / "manifest.jsonl")
    return paired, missing
