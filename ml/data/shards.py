"""Tar shards of a dataset folder: what a multi-GPU run streams instead of decoding it whole.

A dataset written with `--shard-size N` (GeoScenes or ingest) also holds `shards/000000.tar`,
`shards/000001.tar`, ... with N samples each, in manifest order: for each sample its picture
`<id>.png` followed by its manifest row `<id>.json`. Tar headers carry no time or owner, so
equal samples give byte-identical shards. Reading goes shard by shard, front to back, which is
what network file systems and object stores serve fastest; `ml.train.batches` streams them.
"""
from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

SHARDS_FOLDER = "shards"


class ShardWriter:
    """Appends samples to numbered shards of `shard_size` samples in `out/shards/`."""

    def __init__(self, out: Path, shard_size: int):
        if shard_size < 1:
            raise ValueError(f"shard_size must be a positive integer, got {shard_size}")
        self.folder = Path(out) / SHARDS_FOLDER
        self.shard_size = shard_size
        self._tar: tarfile.TarFile | None = None
        self._number: int | None = None

    def add(self, index: int, ident: str, png: bytes, row: dict) -> None:
        """Sample number `index` of the dataset (0-based) goes to shard index // shard_size."""
        number = index // self.shard_size
        if number != self._number:
            self.close()
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{number:06d}.tar"
            # A resumed ingest appends to its last, partly filled shard.
            self._tar = tarfile.open(path, "a" if path.exists() else "w", format=tarfile.USTAR_FORMAT)
            self._number = number
        row_bytes = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        for name, payload in ((f"{ident}.png", png), (f"{ident}.json", row_bytes)):
            member = tarfile.TarInfo(name)
            member.size = len(payload)
            member.mode = 0o644
            self._tar.addfile(member, io.BytesIO(payload))

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
        self._tar, self._number = None, None


def shard_paths(root: str | Path) -> list[Path]:
    """The shards of a dataset folder, in order (empty when it has none)."""
    return sorted((Path(root) / SHARDS_FOLDER).glob("*.tar"))


def read_shard(path: Path) -> Iterator[tuple[dict, bytes]]:
    """(manifest row, PNG bytes) of each sample of one shard, in order."""
    pictures: dict[str, bytes] = {}
    with tarfile.open(path, "r:") as tar:
        for member in tar:
            if not member.isfile():
                continue
            ident, _, extension = member.name.rpartition(".")
            payload = tar.extractfile(member).read()
            if extension == "png":
                pictures[ident] = payload
            elif extension == "json" and ident in pictures:
                yield json.loads(payload), pictures.pop(ident)
