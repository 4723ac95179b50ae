"""ManifestDataset: tensors, held-out split by city, bad folders and bad rows."""
import json
import shutil

import pytest
import torch

from ml.data.dataset import ManifestDataset, is_heldout_city


def test_items(small_dataset):
    dataset = ManifestDataset(small_dataset)
    assert len(dataset) == 32
    item = dataset[0]
    assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.float32
    assert -1.0 <= item["image"].min() < item["image"].max() <= 1.0
    assert isinstance(item["city"], int) and -90 <= item["lat"] <= 90
    assert item["attributes"]["biome"] and item["labels"]["biome"] >= 0
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=8)))
    assert batch["image"].shape == (8, 3, 32, 32) and batch["labels"]["weather"].shape == (8,)


def test_resolution(small_dataset):
    assert ManifestDataset(small_dataset, resolution=16)[0]["image"].shape == (3, 16, 16)
    assert ManifestDataset(small_dataset, resolution=48)[0]["image"].shape == (3, 48, 48)
    with pytest.raises(ValueError):
        ManifestDataset(small_dataset, resolution=0)


def test_split_by_city(small_dataset):
    train = ManifestDataset(small_dataset, split="train")
    heldout = ManifestDataset(small_dataset, split="heldout")
    assert len(train) + len(heldout) == 32
    assert not {train[i]["city"] for i in range(len(train))} & {heldout[i]["city"] for i in range(len(heldout))}
    assert all(is_heldout_city(heldout[i]["city"]) for i in range(len(heldout)))
    share = sum(is_heldout_city(g) for g in range(1, 20001)) / 20000
    assert 0.07 < share < 0.13
    with pytest.raises(ValueError):
        ManifestDataset(small_dataset, split="test")


def test_missing_manifest_and_no_images(tmp_path):
    with pytest.raises(ValueError, match="no manifest.jsonl"):
        ManifestDataset(tmp_path)
    (tmp_path / "manifest.jsonl").write_text("")
    with pytest.raises(ValueError, match="no readable images"):
        ManifestDataset(tmp_path)


def test_bad_rows_are_skipped_with_their_line_numbers(small_dataset, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(small_dataset, root)
    lines = (root / "manifest.jsonl").read_text().splitlines()
    broken = json.loads(lines[2])
    broken["image"] = "images/missing.png"
    no_lat = json.loads(lines[4])
    del no_lat["lat"]
    lines[1] = "{not json"
    lines[2] = json.dumps(broken)
    lines[4] = json.dumps(no_lat)
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"skipped 3 bad rows at lines 2, 3, 5"):
        dataset = ManifestDataset(root)
    assert len(dataset) == 29
    assert [line for line, _ in dataset.skipped] == [2, 3, 5]
