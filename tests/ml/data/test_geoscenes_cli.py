"""`python -m ml geoscenes`: the dataset format, byte-identical output and user errors."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from ml.data.shards import read_shard, shard_paths

from ml.cli import ERROR_SHARD_SIZE, main
from ml.data.geoscenes.cli import (ERROR_CITIES, ERROR_NO_CITIES, ERROR_OUT_NOT_DIR, ERROR_OUT_NOT_EMPTY,
                                   ERROR_PER_CITY, ERROR_SEED, ERROR_SIZE, ERROR_VARIANTS, ERROR_WORKERS)


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_format(small_dataset):
    info = json.loads((small_dataset / "dataset.json").read_text())
    assert info["format"] == "genius-loci-dataset" and info["version"] == 1
    assert info["source"] == "geoscenes" and info["count"] == 32
    assert info["args"]["cities"] == 8 and info["args"]["per_city"] == 4 and info["args"]["seed"] == 3
    assert set(info["attributes"]) >= {"biome", "density", "style", "time_of_day", "weather", "water",
                                       "landmark", "outlier"}
    rows = [json.loads(line) for line in (small_dataset / "manifest.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == [f"{i:06d}" for i in range(32)]
    for row in rows:
        assert set(row) >= {"id", "image", "lat", "lon", "city", "city_name", "country", "attributes",
                            "caption", "overhead", "layers"}
        assert Image.open(small_dataset / row["image"]).size == (32, 32)
        assert Image.open(small_dataset / row["overhead"]).size == (32, 32)
        assert row["attributes"]["city"] == row["city"]


def test_byte_identical(tmp_path, small_dataset):
    again = tmp_path / "again"
    assert main(["geoscenes", "--cities", "8", "--per-city", "4", "--size", "32", "--seed", "3",
                 "--out", str(again), "--workers", "2"]) == 0
    assert _files(again) == _files(small_dataset)


def test_shards_hold_the_same_samples_in_manifest_order(tmp_path, small_dataset):
    sharded, again = tmp_path / "sharded", tmp_path / "again"
    for out, workers in ((sharded, "1"), (again, "2")):
        assert main(["geoscenes", "--cities", "8", "--per-city", "4", "--size", "32", "--seed", "3",
                     "--out", str(out), "--workers", workers, "--shard-size", "10"]) == 0
    assert _files(sharded) == _files(again)  # shards too are byte-identical
    assert [path.name for path in shard_paths(sharded)] == ["000000.tar", "000001.tar", "000002.tar", "000003.tar"]
    rows = [json.loads(line) for line in (small_dataset / "manifest.jsonl").read_text().splitlines()]
    samples = [sample for path in shard_paths(sharded) for sample in read_shard(path)]
    assert [row for row, _ in samples] == rows
    assert all(png == (small_dataset / row["image"]).read_bytes() for row, png in samples)
    assert json.loads((sharded / "dataset.json").read_text())["shard_size"] == 10


def test_one_city_and_all_cities(tmp_path):
    assert main(["geoscenes", "--cities", "1", "--per-city", "2", "--out", str(tmp_path / "one")]) == 0
    rows = (tmp_path / "one" / "manifest.jsonl").read_text().splitlines()
    assert [json.loads(r)["city_name"] for r in rows] == ["Shanghai", "Shanghai"]
    assert main(["geoscenes", "--cities", "all", "--per-city", "1", "--size", "32",
                 "--min-population", "8000000", "--out", str(tmp_path / "all")]) == 0
    info = json.loads((tmp_path / "all" / "dataset.json").read_text())
    assert info["args"]["cities"] == "all" and info["count"] == info["cities"] > 10


@pytest.mark.parametrize("argv, message", [
    (["--cities", "0"], ERROR_CITIES.format("0")),
    (["--cities", "many"], ERROR_CITIES.format("many")),
    (["--cities", "2", "--per-city", "0"], ERROR_PER_CITY.format(0)),
    (["--cities", "2", "--size", "8"], ERROR_SIZE.format(8)),
    (["--cities", "2", "--seed", "-1"], ERROR_SEED.format(-1)),
    (["--cities", "2", "--workers", "0"], ERROR_WORKERS.format(0)),
    (["--cities", "2", "--shard-size", "-1"], ERROR_SHARD_SIZE.format(-1)),
    (["--cities", "2", "--min-population", "100000000"], ERROR_NO_CITIES.format(100000000)),
    (["--cities", "2", "--variants", "biome,wind"], ERROR_VARIANTS.format("wind", "weather, time_of_day, biome")),
])
def test_bad_numbers(tmp_path, capsys, argv, message):
    argv = ["geoscenes", "--per-city", "1", *argv, "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"error: {message}"
    assert not (tmp_path / "out").exists()


def test_refuses_a_non_empty_or_non_folder_out(tmp_path, capsys):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    assert main(["geoscenes", "--cities", "1", "--per-city", "1", "--out", str(tmp_path / "busy")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {ERROR_OUT_NOT_EMPTY.format(tmp_path / 'busy')}"
    (tmp_path / "file").write_text("x")
    assert main(["geoscenes", "--cities", "1", "--per-city", "1", "--out", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {ERROR_OUT_NOT_DIR.format(tmp_path / 'file')}"


def test_module_entry_point_prints_one_line_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ml", "geoscenes", "--cities", "0", "--per-city", "1",
                             "--out", str(tmp_path / "x")], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {ERROR_CITIES.format('0')}"]


def test_variants_are_written_beside_the_same_photos(tmp_path, small_dataset):
    out = tmp_path / "variants"
    assert main(["geoscenes", "--cities", "8", "--per-city", "4", "--size", "32", "--seed", "3",
                 "--out", str(out), "--workers", "2", "--variants"]) == 0
    info = json.loads((out / "dataset.json").read_text())
    assert info["variants"] == {"weather": ["clear", "cloudy", "rain", "snow", "fog"],
                                "time_of_day": ["day", "golden_hour", "night"]}
    assert info["args"]["variants"] == ["weather", "time_of_day"]
    plain = [json.loads(line) for line in (small_dataset / "manifest.jsonl").read_text().splitlines()]
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [{key: value for key, value in row.items() if key != "variants"} for row in rows] == plain
    written = set()
    for row in rows:
        assert (out / row["image"]).read_bytes() == (small_dataset / row["image"]).read_bytes()
        if row["attributes"]["outlier"]:
            assert "variants" not in row
            continue
        attributes = row["attributes"]
        for attribute, values in row["variants"].items():
            assert attributes[attribute] not in values  # only the values the photo lacks
            for value, path in values.items():
                assert path == f"variants/{row['id']}-{attribute}-{value}.png"
                assert Image.open(out / path).size == (32, 32)
                written.add(path)
        assert len(row["variants"]["time_of_day"]) == 2
    assert written == {f"variants/{path.name}" for path in (out / "variants").iterdir()}


def test_variants_of_the_biome_are_asked_for_by_name(tmp_path):
    out = tmp_path / "biomes"
    assert main(["geoscenes", "--cities", "3", "--per-city", "2", "--size", "32", "--out", str(out),
                 "--variants", "biome"]) == 0
    info = json.loads((out / "dataset.json").read_text())
    assert list(info["variants"]) == ["biome"] and len(info["variants"]["biome"]) == 9
    for row in map(json.loads, (out / "manifest.jsonl").read_text().splitlines()):
        if not row["attributes"]["outlier"]:
            assert set(row["variants"]) == {"biome"}
            assert row["attributes"]["biome"] not in row["variants"]["biome"]
            assert len(row["variants"]["biome"]) >= 7  # a photo on water keeps its water unfrozen
