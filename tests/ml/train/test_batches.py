"""Training batches from memory and streamed from tar shards: the same rows, each once an epoch."""
import json
import shutil

import pytest
import torch

from ml.cli import main
from ml.data.shards import ShardWriter
from ml.train.batches import CachedBatches, StreamedBatches
from ml.train.image_cache import load_image_cache

from .conftest import PER_CITY, TRAIN_CITIES, train


@pytest.fixture(scope="module")
def sharded_dataset(tiny_dataset, tmp_path_factory):
    """The tiny dataset plus shards of 5 samples (held-out city and outlier included)."""
    root = tmp_path_factory.mktemp("sharded") / "tiny"
    shutil.copytree(tiny_dataset, root)
    shards = ShardWriter(root, 5)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    for index, row in enumerate(rows):
        shards.add(index, row["id"], (root / row["image"]).read_bytes(), row)
    shards.close()
    return root


def _pictures(images: torch.Tensor) -> list[bytes]:
    return sorted(image.numpy().tobytes() for image in images)


def test_streamed_ranks_share_one_epoch_of_exactly_the_cached_training_rows(sharded_dataset):
    cached = load_image_cache(sharded_dataset, resolution=8, split="train", progress=False)
    assert len(cached) == len(TRAIN_CITIES) * PER_CITY  # no outlier, no held-out city
    per_rank = []
    for rank in range(2):
        batches = StreamedBatches(sharded_dataset, resolution=8, batch_size=2, rank=rank, world_size=2,
                                  shuffle_buffer=4)
        assert batches.summary["images"] == len(cached) and batches.cities == cached.cities
        per_rank.append(list(batches.stream))
    streamed = [picture for rank in per_rank for picture, _, _, _ in rank]
    assert all(len(rank) > 0 for rank in per_rank)
    assert _pictures(torch.stack(streamed)) == _pictures(cached.images)
    lats = torch.tensor([lat for rank in per_rank for _, lat, _, _ in rank], dtype=torch.float32)
    assert torch.equal(lats.sort().values, cached.lat.sort().values)


def test_the_stream_order_is_seeded_by_epoch(sharded_dataset):
    batches = StreamedBatches(sharded_dataset, resolution=8, batch_size=2, shuffle_buffer=8)
    first = [picture.numpy().tobytes() for picture, _, _, _ in list(batches.stream)]
    assert [picture.numpy().tobytes() for picture, _, _, _ in list(batches.stream)] == first
    batches.stream.epoch = 1
    second = [picture.numpy().tobytes() for picture, _, _, _ in list(batches.stream)]
    assert second != first and sorted(second) == sorted(first)


def test_streamed_and_cached_batches_carry_the_same_place_classes(sharded_dataset):
    cached = CachedBatches(load_image_cache(sharded_dataset, resolution=8, split="train", progress=False),
                           batch_size=16)
    streamed = StreamedBatches(sharded_dataset, resolution=8, batch_size=16, shuffle_buffer=4)
    batches = {"cached": cached.next_batch(), "streamed": streamed.next_batch()}
    for batch in batches.values():
        assert set(batch.labels) == {"outlier", "biome", "density"}
        # Each picture's classes are its city's: polar towns at 69.65N, tropical cities south.
        polar = batch.lat > 0
        assert (batch.labels["biome"][polar] == 0).all() and (batch.labels["biome"][~polar] == 2).all()
        assert (batch.labels["density"][polar] == 0).all() and (batch.labels["density"][~polar] == 1).all()
    assert sorted(batches["cached"].labels["biome"].tolist()) == sorted(batches["streamed"].labels["biome"].tolist())


def test_streamed_batches_go_on_past_the_end_of_an_epoch(sharded_dataset):
    batches = StreamedBatches(sharded_dataset, resolution=8, batch_size=4, shuffle_buffer=4, workers=2)
    shapes = [batches.next_batch().images.shape for _ in range(6)]  # 16 pictures: 4 batches an epoch
    assert shapes == [(4, 3, 8, 8)] * 6 and batches.epoch == 1


def test_cached_batches_count_epochs(tiny_dataset):
    cached = load_image_cache(tiny_dataset, resolution=8, split="train", progress=False)
    batches = CachedBatches(cached, batch_size=4)
    seen = [batches.next_batch() for _ in range(4)]
    assert batches.epoch == 0
    assert _pictures(torch.cat([batch.images for batch in seen])) == _pictures(cached.images)
    batches.next_batch()
    assert batches.epoch == 1


def test_training_streams_the_shards(sharded_dataset, tmp_path):
    assert train(sharded_dataset, tmp_path, "--max-kimg", "0.008", "--stream", "--data-workers", "1") == 0
    (run,) = tmp_path.iterdir()
    options = json.loads((run / "options.json").read_text())
    assert options["train"]["stream"] is True and options["dataset"]["streamed_shards"] == 5
    assert (run / "reals.png").is_file() and any(run.glob("checkpoint-*"))


def test_streaming_a_dataset_without_shards_is_a_one_line_error(tiny_dataset, tmp_path, capsys):
    assert main(["train", "place", "--data", str(tiny_dataset), "--out", str(tmp_path / "runs"), "--stream"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: --data: ") and "no tar shards to stream" in error and error.count("\n") == 1
    assert not (tmp_path / "runs").exists()
