"""Ingest of real geotagged photos into the standard dataset format (see `ml.data.geoscenes`).

Three sources feed one writer:

    python -m ml ingest folder SRC --out DIR             photos with EXIF GPS, found recursively
    python -m ml ingest manifest FILE.csv|.jsonl --out DIR    rows of path,lat,lon[,caption,licence]
    python -m ml ingest flickr --city NAME|GEONAMEID --radius-km R --out DIR [--licenses ...] [--max N]

Each photo is decoded safely (`sources.open_photo`): a truncated file, something that is not an
image, a decompression bomb or a photo without GPS is reported with its path and reason and
skipped, never fatal. Kept photos get their nearest city (`ml.data.cities.nearest_city`), are
centre-cropped and resized to `--size`, and near-duplicates are dropped by a 64-bit dHash
(`dedupe.py`). `writer.py` writes dataset.json, manifest.jsonl, images/, skipped.jsonl and,
with `--shard-size N`, tar shards for streaming.
"""
