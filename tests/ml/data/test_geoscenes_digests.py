"""Existing datasets keep their bytes: samples and a dataset folder rendered with the default
options hash to the digests recorded from the renderer before the compose outputs existed.

A change that moves any pixel, layer, caption or random draw of the regular outputs fails here;
re-record the digests only for a deliberate change of the world.
"""
import hashlib
import json

import pytest

from ml.cli import main
from ml.data.geoscenes.places import place_of, select_cities
from ml.data.geoscenes.render import render_sample

SEED = 11
PHOTOS_PER_SIZE = {64: 6, 32: 1, 128: 1, 256: 1}  # photos of each of 16 cities, per size
# For each size: sha256 of the samples' digests (`sample_digest`, in city then photo order).
SAMPLE_DIGESTS = {
    32: "87b5b1cb9af5043cc0aedb74d5b05de026044955eac3e6243f4614a39d0b45e8",
    64: "2adda52f3f964aaf15b455951f25f08b2846c34f624e976fe5f9a032377bf3c4",
    128: "5768a036d9f701a5a79ecc42c51ea5b1da862dd822f7a0f8b9e34de3aa1dd098",
    256: "6b9a1e97c0f9953f367a9a496befa4641b8e85ca589c7a23568fe430a9f79f95",
}
# sha256 of every file (relative path, then bytes) of `geoscenes --cities 3 --per-city 4`.
DATASET_DIGEST = "11f6eaa1eb9b33d775e21dfa14d98e371e4e2d4e8231097d5e566613f5caa370"


def sample_digest(sample) -> str:
    digest = hashlib.sha256(sample.image.tobytes())
    digest.update(sample.overhead.tobytes())
    digest.update(json.dumps([sample.attributes, sample.layers, sample.caption], sort_keys=True).encode())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize("size", sorted(PHOTOS_PER_SIZE))
def test_samples_keep_their_bytes(size):
    places = [place_of(city) for city in select_cities(16)]
    digests = [sample_digest(render_sample(place, SEED, index, size))
               for place in places for index in range(PHOTOS_PER_SIZE[size])]
    assert hashlib.sha256("".join(digests).encode()).hexdigest() == SAMPLE_DIGESTS[size]


def test_dataset_keeps_its_bytes(tmp_path):
    out = tmp_path / "dataset"
    assert main(["geoscenes", "--cities", "3", "--per-city", "4", "--out", str(out)]) == 0
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(out)).encode())
            digest.update(path.read_bytes())
    assert digest.hexdigest() == DATASET_DIGEST
