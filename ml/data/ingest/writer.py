"""Turning candidates into a dataset folder in the standard format (see `ml.data.geoscenes`).

`IngestWriter.add(candidate)` decodes the photo safely, takes its coordinates (from the source
or EXIF), assigns the nearest city, centre-crops and resizes it, drops near-duplicates, and
writes `images/<id>.png` plus a manifest row (and a tar shard member with `--shard-size`).
Whatever fails is recorded as a `Skip` with its path and reason; nothing is fatal.
`finish()` writes skipped.jsonl and, last, dataset.json. A writer opened on a folder it wrote
before (`resume=True`) continues its numbering, duplicates and counts (the Flickr harvester's
reruns).
"""
from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

from PIL import Image

from ml.data.cities import nearest_city
from ml.data.dataset_format import FORMAT, PNG_OPTIONS, VERSION
from ml.data.ingest.dedupe import DEFAULT_THRESHOLD, Deduper, dhash
from ml.data.ingest.sources import (DEFAULT_MAX_PIXELS, REASON_NO_GPS, Candidate, PhotoError, Skip,
                                    open_photo)
from ml.data.shards import ShardWriter

REASON_DUPLICATE = "near-duplicate of an ingested photo (dHash)"
ID_WIDTH = 6
REPORTED_SKIPS = 20  # skips listed in dataset.json; skipped.jsonl has them all


def centre_square(image: Image.Image, size: int) -> Image.Image:
    """The largest centred square, resized to size x size (area filter when shrinking)."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    shrinking = side > size
    return square.resize((size, size), Image.Resampling.BOX if shrinking else Image.Resampling.BICUBIC)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **PNG_OPTIONS)
    return buffer.getvalue()


class IngestWriter:
    def __init__(self, out: Path, *, source: str, size: int = 64, args: dict | None = None,
                 dedupe_threshold: int = DEFAULT_THRESHOLD, shard_size: int = 0,
                 max_pixels: int = DEFAULT_MAX_PIXELS, resume: bool = False):
        self.out = Path(out)
        self.source, self.size, self.args = source, size, dict(args or {})
        self.shard_size, self.max_pixels = shard_size, max_pixels
        self.deduper = Deduper(dedupe_threshold)
        self.skipped: list[Skip] = []
        self.count = 0
        self.duplicates = 0
        self.cities: Counter = Counter()
        (self.out / "images").mkdir(parents=True, exist_ok=True)
        if resume:
            self._restore()
        self._manifest = open(self.out / "manifest.jsonl", "a", encoding="utf-8", newline="\n")
        self._shards = ShardWriter(self.out, shard_size) if shard_size else None

    def _restore(self) -> None:
        """Counts, hashes and skips of an earlier run into the same folder."""
        manifest = self.out / "manifest.jsonl"
        if manifest.is_file():
            for line in manifest.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.count += 1
                    self.cities[row.get("city")] += 1
                    if "dhash" in row.get("source", {}):
                        self.deduper.add(int(row["source"]["dhash"], 16))
        info = self.out / "dataset.json"
        if info.is_file():
            self.duplicates = json.loads(info.read_text(encoding="utf-8")).get("duplicates", 0)
        skipped = self.out / "skipped.jsonl"
        if skipped.is_file():
            self.skipped = [Skip(**json.loads(line)) for line in skipped.read_text(encoding="utf-8").splitlines()
                            if line.strip()]

    def skip(self, path: str, reason: str) -> Skip:
        skip = Skip(path, reason)
        self.skipped.append(skip)
        return skip

    def add(self, candidate: Candidate | Skip) -> dict | Skip:
        """Ingest one photo: its manifest row, or the `Skip` saying why not."""
        if isinstance(candidate, Skip):
            self.skipped.append(candidate)
            return candidate
        try:
            image, gps = open_photo(candidate.read(), max_pixels=self.max_pixels)
        except PhotoError as error:
            return self.skip(candidate.name, str(error))
        if candidate.lat is not None and candidate.lon is not None:
            gps = (candidate.lat, candidate.lon)
        if gps is None:
            return self.skip(candidate.name, REASON_NO_GPS)
        square = centre_square(image, self.size)
        digest = dhash(square)
        if self.deduper.check_and_add(digest):
            self.duplicates += 1
            return self.skip(candidate.name, REASON_DUPLICATE)
        return self._write(candidate, square, gps, digest)

    def _write(self, candidate: Candidate, square: Image.Image, gps: tuple, digest: int) -> dict:
        ident = f"{self.count:0{ID_WIDTH}d}"
        city = nearest_city(*gps)
        data = png_bytes(square)
        (self.out / "images" / f"{ident}.png").write_bytes(data)
        row = {
            "id": ident, "image": f"images/{ident}.png", "lat": round(gps[0], 6), "lon": round(gps[1], 6),
            "city": city.geonameid, "city_name": city.name, "country": city.country_code,
            "attributes": {}, "caption": candidate.caption,
            "source": {**candidate.source, "dhash": f"{digest:016x}"}, "licence": candidate.licence,
        }
        self._manifest.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._manifest.flush()
        if self._shards is not None:
            self._shards.add(self.count, ident, data, row)
        self.count += 1
        self.cities[city.geonameid] += 1
        return row

    def summary(self) -> dict:
        reasons = Counter(_reason_kind(skip.reason) for skip in self.skipped)
        return {"count": len(self.skipped), "by_reason": dict(reasons.most_common()),
                "first": [{"path": s.path, "reason": s.reason} for s in self.skipped[:REPORTED_SKIPS]]}

    def finish(self, extra: dict | None = None) -> dict:
        """Close files, write skipped.jsonl and dataset.json (last); return dataset.json."""
        self._manifest.close()
        if self._shards is not None:
            self._shards.close()
        with open(self.out / "skipped.jsonl", "w", encoding="utf-8", newline="\n") as lines:
            for skip in self.skipped:
                lines.write(json.dumps({"path": skip.path, "reason": skip.reason}, ensure_ascii=False) + "\n")
        info = {"format": FORMAT, "version": VERSION, "source": self.source, "args": self.args,
                "count": self.count, "cities": len(self.cities), "size": self.size,
                "duplicates": self.duplicates, "skipped": self.summary(), "attributes": {},
                **({"shard_size": self.shard_size} if self.shard_size else {}), **(extra or {})}
        (self.out / "dataset.json").write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        return info


def _reason_kind(reason: str) -> str:
    """A reason without its specifics, for the per-reason counts."""
    if reason.startswith("line "):
        reason = reason.split(": ", 1)[-1]
    return reason.split(" (")[0]
