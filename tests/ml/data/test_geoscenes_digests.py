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
# sha256 (first 16 hex digits) of image, overhead tile, attributes, layers and caption, in
# (city, photo index) order for each size.
SAMPLE_DIGESTS = {
    64: (
        "f0588ae2f1af8fc1", "aae5c9e051e003f8", "9ee41253e0942517", "738a22229c84c6b5",
        "576472373584d372", "046f43bd70e9d28b", "2f5b652fb01af5cb", "affeb78fffa4b7c1",
        "43309f06699776c8", "f432c888df43d0ae", "afaf16abd7db5636", "b15a3d05ea9c68f3",
        "062cdf75b7ec5fd7", "ff2888bf2bcdff93", "9da36310b515afa8", "b70071d67e3e7d32",
        "0064c5bffb7ae1b6", "755ebec76d4de42f", "207f1104862d9588", "9af4038825febd72",
        "3c142ffc2ac97f09", "bcf3ab84a5e0c189", "08d6f5da2a8617da", "390b1008ae48048b",
        "014b4faeaf0c63d9", "e8c782e1aad43554", "0af340cc21a64b67", "5963076be6db47af",
        "aad6c2b11b7cb058", "3b7f726cbab11080", "3490ee7fa9bad416", "5129e4cffcf60a91",
        "ec17317addb73af3", "dc83311221d775af", "9d11bc7449545901", "7cd60f3f7af91f7f",
        "bc540db0695c652c", "3813a8ca4392f5e8", "9112e7596077d46f", "1b60df300f25d8d4",
        "41a75e2b4352cc7a", "72a2151c2b91acd6", "222234264651f73f", "4aa35024784dbe16",
        "08ad8a93ea6cfbf5", "bb94cb1856e2cbc0", "68335f909892ba7e", "b804e1e7dc35bf6c",
        "7a85db48c0d3ae5d", "88bc1a72af021f11", "f45e9065c810f82c", "a68fcbae5abd52d2",
        "2f6899554226f5ca", "3d24e3dc1447075e", "6442f3c90453cedc", "249fe26febf49904",
        "7800b6dc0a0fdced", "f2c29d1583f27fcb", "475f54e847bbd4ba", "c08a1e0bcaa97621",
        "07f936b270d71992", "52fa2de84025c179", "7f422c11347d66c3", "35468f18953ad1cb",
        "a9d54f46abaae57d", "df6d8ca27477cc03", "1310dd1cf8f1a573", "45bd38dd757b0a86",
        "3aeef14d348e3ef7", "4e2495f4c535e9f9", "514e26c50697fbbd", "9ccc96b403ce6eaa",
        "79122bb924574a5e", "5bd99b3937447007", "8e3ef575c82d23ab", "26fd44bb7ea96428",
        "9c7ff0106dbebbad", "19842f4787128eaa", "a4ad59a805128945", "53f9301736bee5b7",
        "839be9db9b617773", "06131c9c12f15082", "2d46717cbf7f0c89", "a0d330a6dd1d5ff9",
        "b9920830c3b83cd5", "d2e6d33486c39844", "6a465114c282f409", "a5d3989fcf4bdc48",
        "ae99854a43f31e50", "323d43dc528dd9ca", "493b9a355729eb65", "a48069c1514c4e2d",
        "1e0fdc9bc1fb03d0", "c5f7f57d2d3eff84", "74ec2f5e543f9093", "2f0f58b53368e7a0",
    ),
    32: (
        "4932c01e34c7eb27", "4c04e04306f0b103", "95c2c11cce2bf632", "09230d693d1ad313",
        "e5cce0288ee1707a", "4f53bbeab7cbd350", "f797bf07405c5198", "9afa5c4617c03b17",
        "a2c5ed4481bc4ce9", "e391c37ff045383f", "428d17a7ac4ef38a", "07c4f800d1e4ee67",
        "ea688a44cbb7339e", "f3fbbbdcd8cb1c61", "d8950f21237f45b8", "c54453da8d17a90a",
    ),
    128: (
        "71ea64cd8edd95fe", "68d6019b49db250c", "9990a3b1f68a7651", "0fd186df32ead020",
        "878622c937cacd91", "481ce18f1d02cfe4", "e11d1ab5647d5cac", "668430ea5cf6812f",
        "b7387aa3858aefb8", "e8d83631672e3608", "977642b83d87029d", "623619c4cf9c8619",
        "240d7f7a60244ec1", "1ae86c9072d1281e", "2e111bd1548f03a7", "14fc4473195e062a",
    ),
    256: (
        "cf289dcc47439c4e", "deb0ad785bf85278", "65698a913fb7bb0b", "409f50b7ea7bc8fd",
        "6ad1bb4d9fd8920f", "2418d31e4df4b1cb", "65d200338d070be3", "579d38131bb018a8",
        "82b9f5972080c20d", "9d0383ef5c748792", "df1de19ac01f8362", "9bb42bb65d25a646",
        "989f8708585a2fe2", "5f5c5b9c454dce5b", "d8a178f04080da25", "974e42f7d19d22b3",
    ),
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
    assert tuple(digests) == SAMPLE_DIGESTS[size]


def test_dataset_keeps_its_bytes(tmp_path):
    out = tmp_path / "dataset"
    assert main(["geoscenes", "--cities", "3", "--per-city", "4", "--out", str(out)]) == 0
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(out)).encode())
            digest.update(path.read_bytes())
    assert digest.hexdigest() == DATASET_DIGEST
