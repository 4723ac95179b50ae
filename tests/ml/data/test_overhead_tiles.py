"""Overhead tiles of real places: an XYZ tree, images with sidecar bounds, pairing a dataset."""
import json

import numpy as np
import pytest
from PIL import Image

from ml.cli import main
from ml.data.overhead_tiles import SidecarTiles, TileMissing, XYZTiles, _tile_of, open_source
from ml.pipelines import load


def write_xyz(root, zoom: int, tiles: dict) -> None:
    """tiles: (x, y) -> RGB colour; each tile is 8x8 of that colour."""
    for (x, y), colour in tiles.items():
        (root / str(zoom) / str(x)).mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), colour).save(root / str(zoom) / str(x) / f"{y}.png")


def test_xyz_cuts_the_window_centred_on_the_spot_across_tiles(tmp_path):
    zoom = 3
    x, y, fx, fy = _tile_of(48.85, 2.35, zoom)  # Paris: tile (4, 2)
    assert (x, y) == (4, 2)
    write_xyz(tmp_path, zoom, {(tx, ty): (tx * 40, ty * 40, 100) for tx in range(3, 6) for ty in range(1, 4)})
    tile = XYZTiles(tmp_path)(48.85, 2.35, 8)
    assert tile.shape == (8, 8, 3)
    assert len({tuple(pixel) for pixel in tile.reshape(-1, 3)}) > 1  # the window straddles tiles
    with pytest.raises(TileMissing):
        XYZTiles(tmp_path)(-33.9, 151.2, 8)  # Sydney: no tile there


def test_images_with_sidecar_bounds(tmp_path):
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, 100:] = 255  # east half white
    Image.fromarray(pixels).save(tmp_path / "scene.png")
    (tmp_path / "scene.json").write_text(json.dumps({"west": 0, "south": 40, "east": 2, "north": 41}))
    source = SidecarTiles(tmp_path, window=20)
    assert source(40.5, 1.9, 4).mean() == 255 and source(40.5, 0.1, 4).mean() == 0
    with pytest.raises(TileMissing):
        source(10, 10, 4)


def test_sources_by_spec(tmp_path):
    assert open_source("geoscenes")(48.85, 2.35, 16).shape == (16, 16, 3)
    with pytest.raises(ValueError, match="give geoscenes"):
        open_source("wms:http://example.org")
    with pytest.raises(ValueError, match="no tiles found"):
        open_source(f"xyz:{tmp_path}")


def test_pair_overhead_gives_covered_photos_their_tile(tmp_path, capsys):
    data = tmp_path / "photos"
    (data / "images").mkdir(parents=True)
    rows = []
    for ident, (lat, lon) in enumerate([(40.5, 1.0), (10.0, 10.0)]):
        Image.new("RGB", (16, 16), "grey").save(data / "images" / f"{ident:06d}.png")
        rows.append({"id": f"{ident:06d}", "image": f"images/{ident:06d}.png", "lat": lat, "lon": lon})
    (data / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    Image.new("RGB", (64, 32), "green").save(tiles / "a.png")
    (tiles / "a.json").write_text(json.dumps({"west": 0, "south": 40, "east": 2, "north": 41}))
    assert main(["pair-overhead", str(data), "--tiles", f"images:{tiles}"]) == 0
    assert "paired 1 photos with an overhead tile; 1 had none" in capsys.readouterr().out
    paired = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    assert paired[0]["overhead"] == "overhead/000000.png" and "overhead" not in paired[1]
    assert Image.open(data / "overhead" / "000000.png").size == (16, 16)


def test_the_ground_pipeline_paints_from_a_tile_folder(tmp_path, tiny_ground_folder):
    pipeline = load(tiny_ground_folder)
    Image.new("RGB", (64, 64), "blue").save(tmp_path / "a.png")
    (tmp_path / "a.json").write_text(json.dumps({"west": 0, "south": 40, "east": 2, "north": 41}))
    pipeline.overhead = open_source(f"images:{tmp_path}")
    (view,) = pipeline.views([{"lat": 40.5, "lon": 1.0}], [3])
    assert np.asarray(view.overhead)[..., 2].min() == 255 and view.image.size == (16, 16)
