"""The compose outputs of `python -m ml geoscenes --steps` and their readers (`ml.data.compose`)."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from ml.cli import main
from ml.data.compose import ComposeBackgrounds, ComposeSteps

ARGS = ["geoscenes", "--cities", "3", "--per-city", "3", "--size", "32", "--seed", "1"]


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def with_steps(tmp_path_factory):
    out = tmp_path_factory.mktemp("compose") / "steps"
    assert main([*ARGS, "--steps", "--out", str(out)]) == 0
    return out


def test_same_arguments_same_bytes(tmp_path, with_steps):
    again = tmp_path / "again"
    assert main([*ARGS, "--steps", "--workers", "2", "--out", str(again)]) == 0
    assert _files(again) == _files(with_steps)


def test_regular_outputs_are_the_same_with_and_without(tmp_path, with_steps):
    plain = tmp_path / "plain"
    assert main([*ARGS, "--out", str(plain)]) == 0
    for folder in ("images", "overhead"):
        assert _files(plain / folder) == _files(with_steps / folder)
    new_keys = ("background", "steps", "steps_file")
    rows = [json.loads(line) for line in (with_steps / "manifest.jsonl").read_text().splitlines()]
    stripped = [{key: value for key, value in row.items() if key not in new_keys} for row in rows]
    assert stripped == [json.loads(line) for line in (plain / "manifest.jsonl").read_text().splitlines()]
    info = json.loads((with_steps / "dataset.json").read_text())
    assert info["compose"]["output"] == "steps" and "building" in info["compose"]["foreground"]


def test_background_only(tmp_path):
    out = tmp_path / "backgrounds"
    assert main([*ARGS, "--background", "--out", str(out)]) == 0
    assert not (out / "steps").exists()
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    scenes = [row for row in rows if not row["attributes"]["outlier"]]
    assert all(Image.open(out / row["background"]).size == (32, 32) for row in scenes)
    assert len(list((out / "backgrounds").iterdir())) == len(scenes)
    with pytest.raises(ValueError, match="no steps; write the dataset with --steps"):
        ComposeSteps(out)
    assert len(ComposeBackgrounds(out)) == len(scenes)


def test_steps_rebuild_the_photo(with_steps):
    steps = ComposeSteps(with_steps)
    last = {}
    for index in range(len(steps)):
        item = steps[index]
        number, step = steps.steps[index]
        outside = (item["coverage"] == 0).expand(3, -1, -1)
        assert torch.equal(item["before"][outside], item["after"][outside])
        assert steps.foreground[item["category"]] == steps.rows[number]["steps"][step]["category"]
        box = item["box"]
        assert 0 <= box[0] < box[2] <= 1 and 0 <= box[1] < box[3] <= 1
        last[number] = item["after"]
    for number, after in last.items():
        photo = np.asarray(Image.open(with_steps / steps.rows[number]["image"]))
        assert np.array_equal(np.rint((after.permute(1, 2, 0).numpy() + 1) * 127.5), photo)


def test_backgrounds_pair_with_places(with_steps):
    backgrounds = ComposeBackgrounds(with_steps)
    item = backgrounds[0]
    assert item["background"].shape == item["image"].shape == (3, 32, 32)
    assert -1 <= item["background"].min() and item["background"].max() <= 1
    assert {"lat", "lon", "city", "labels"} <= set(item)


def test_readers_refuse_a_dataset_without_compose_outputs(small_dataset):
    with pytest.raises(ValueError, match="no backgrounds; write the dataset with --background"):
        ComposeBackgrounds(small_dataset)
