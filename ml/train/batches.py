"""Where a training rank gets its batches: from memory, or streamed from tar shards.

`CachedBatches` indexes an `ImageCache` decoded once (the default: small datasets, one machine).
`StreamedBatches` reads the dataset's tar shards (`ml.data.shards`) front to back, each rank
and each DataLoader worker its own shards, through a shuffle buffer: memory stays flat however
large the dataset, which is what a multi-GPU run over a real photo collection needs. Both keep
exactly the rows `ml.train.image_cache.select_rows` picks (split, curriculum, outliers), so the
two give the same data, in a different order.

Each returns `Batch`es of this rank's share of a step, and counts epochs (a resumed run goes on
with the epoch it reached, so it does not replay the same order).
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils.data import DataLoader, DistributedSampler, IterableDataset, get_worker_info

from ml.data.dataset import decode_picture
from ml.data.shards import read_shard, shard_paths
from ml.train.image_cache import ImageCache, select_rows

DEFAULT_SHUFFLE_BUFFER = 2048
ERROR_NO_SHARDS = ("{}: no tar shards to stream; write the dataset with --shard-size N "
                   "(python -m ml geoscenes ... or python -m ml ingest ...)")
ERROR_FEW_SHARDS = "{} shards cannot feed {} readers (ranks x data workers); write smaller shards"
ERROR_EMPTY_EPOCH = "rank {}'s shards hold fewer usable pictures than one batch of {}"


@dataclass
class Batch:
    images: torch.Tensor  # (B, 3, R, R) uint8
    lat: torch.Tensor  # (B,) float32 degrees
    lon: torch.Tensor  # (B,) float32 degrees
    # attribute of dataset.json -> (B,) int64 class index of each picture (-1: unknown)
    labels: dict[str, torch.Tensor] = field(default_factory=dict)


class CachedBatches:
    """Batches of an in-memory `ImageCache`: every epoch a fresh permutation, split over ranks."""

    def __init__(self, data: ImageCache, *, batch_size: int, rank: int = 0, world_size: int = 1,
                 seed: int = 0, epoch: int = 0):
        self.data, self.batch_size, self.epoch = data, batch_size, epoch
        self.summary, self.cities = data.summary, data.cities
        self.sampler = DistributedSampler(range(len(data)), num_replicas=world_size, rank=rank, shuffle=True,
                                          seed=seed, drop_last=False)
        self.sampler.set_epoch(epoch)
        self.order = iter(self.sampler)

    def next_indices(self) -> torch.Tensor:
        """The rows of this rank's next batch (for what else a loop reads of them: texts, tiles)."""
        return torch.tensor([self._next_index() for _ in range(self.batch_size)])

    def next_batch(self) -> Batch:
        indices = self.next_indices()
        labels = {name: classes[indices] for name, classes in self.data.labels.items()}
        return Batch(self.data.images[indices], self.data.lat[indices], self.data.lon[indices], labels)

    def preview(self, count: int) -> torch.Tensor:
        """`count` pictures spread evenly over the data (uint8), for the run's reals.png."""
        picks = torch.linspace(0, len(self.data) - 1, count).round().long()
        return self.data.images[picks]

    def _next_index(self) -> int:
        try:
            return next(self.order)
        except StopIteration:
            self.epoch += 1
            self.sampler.set_epoch(self.epoch)
            self.order = iter(self.sampler)
            return next(self.order)


class ShardStream(IterableDataset):
    """One epoch of (picture, lat, lon, class indices) over the shards of this rank, split again
    over the DataLoader's workers; shard order and the shuffle buffer are seeded by (seed, epoch).
    `keep` maps the id of each row to use to its class indices (one per attribute of dataset.json)."""

    def __init__(self, shards: list[Path], keep: dict[str, torch.Tensor], *, resolution: int, rank: int,
                 world_size: int, seed: int, shuffle_buffer: int):
        self.shards, self.keep, self.resolution = shards, keep, resolution
        self.rank, self.world_size, self.seed, self.shuffle_buffer = rank, world_size, seed, shuffle_buffer
        self.epoch = 0

    def readers_shards(self, worker: int, workers: int) -> list[Path]:
        """The shards reader (rank, worker) reads: every (world_size x workers)-th one."""
        reader, readers = self.rank * workers + worker, self.world_size * workers
        return self.shards[reader::readers]

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        shuffle = random.Random(f"{self.seed}/{self.epoch}/{self.rank}/{worker}")
        shards = self.readers_shards(worker, workers)
        shuffle.shuffle(shards)
        buffer: list[tuple] = []
        for shard in shards:
            for row, png in read_shard(shard):
                if row.get("id") not in self.keep:
                    continue
                sample = (decode_picture(io.BytesIO(png), self.resolution),
                          float(row["lat"]), float(row["lon"]), self.keep[row["id"]])
                if len(buffer) < self.shuffle_buffer:
                    buffer.append(sample)
                    continue
                slot = shuffle.randrange(len(buffer))
                buffer[slot], sample = sample, buffer[slot]
                yield sample
        shuffle.shuffle(buffer)
        yield from buffer


class StreamedBatches:
    """Batches streamed from the tar shards of a dataset folder (see the module docstring)."""

    def __init__(self, root: str | Path, *, resolution: int, batch_size: int, cities: int | None = None,
                 drop_outliers: bool = True, rank: int = 0, world_size: int = 1, seed: int = 0, epoch: int = 0,
                 workers: int = 0, shuffle_buffer: int = DEFAULT_SHUFFLE_BUFFER):
        shards = shard_paths(root)
        if not shards:
            raise ValueError(ERROR_NO_SHARDS.format(root))
        readers = world_size * max(workers, 1)
        if len(shards) < readers:
            raise ValueError(ERROR_FEW_SHARDS.format(len(shards), readers))
        # The manifest says which rows to keep; the pictures come from the shards only.
        selection = select_rows(root, resolution=resolution, split="train", cities=cities,
                                drop_outliers=drop_outliers)
        self.summary = {**selection.summary, "streamed_shards": len(shards)}
        self.cities = selection.cities
        self.rank, self.batch_size, self.epoch = rank, batch_size, epoch
        # The classes come from the manifest too, in the order of dataset.json's attributes.
        self.attributes = list(selection.dataset.classes)
        keep = {row["id"]: torch.tensor(list(selection.dataset.labels_of(row.get("attributes", {})).values()),
                                        dtype=torch.int64) for row in selection.rows}
        self.stream = ShardStream(shards, keep, resolution=resolution, rank=rank, world_size=world_size,
                                  seed=seed, shuffle_buffer=shuffle_buffer)
        self.loader = DataLoader(self.stream, batch_size=batch_size, num_workers=workers, drop_last=True)
        self.batches = self._start_epoch()

    def next_batch(self) -> Batch:
        batch = next(self.batches, None)
        if batch is None:  # the epoch is over
            self.epoch += 1
            self.batches = self._start_epoch()
            batch = next(self.batches, None)
            if batch is None:
                raise ValueError(ERROR_EMPTY_EPOCH.format(self.rank, self.batch_size))
        images, lat, lon, labels = batch
        return Batch(images, lat.float(), lon.float(),
                     labels={name: labels[:, index] for index, name in enumerate(self.attributes)})

    def preview(self, count: int) -> torch.Tensor:
        """The first `count` pictures this rank streams (uint8), for the run's reals.png."""
        pictures = []
        for shard in self.stream.readers_shards(0, 1):
            for row, png in read_shard(shard):
                if row.get("id") in self.stream.keep:
                    pictures.append(decode_picture(io.BytesIO(png), self.stream.resolution))
                if len(pictures) == count:
                    return torch.stack(pictures)
        return torch.stack(pictures)

    def _start_epoch(self):
        self.stream.epoch = self.epoch
        return iter(self.loader)
