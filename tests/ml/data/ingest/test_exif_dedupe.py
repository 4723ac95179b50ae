import io

import pytest
from PIL import Image

from ml.data.ingest.dedupe import Deduper, dhash, hamming
from ml.data.ingest.exif import gps_of
from ml.data.ingest.sources import PhotoError, open_photo
from tests.ml.data.ingest.conftest import bomb_png, jpeg_bytes, picture


@pytest.mark.parametrize("lat, lon", [(59.9127, 10.7461), (-33.8679, 151.2073), (40.7128, -74.006),
                                      (-22.9068, -43.1729)])
def test_gps_round_trips_through_a_jpeg(lat, lon):
    with Image.open(io.BytesIO(jpeg_bytes(picture(0), (lat, lon)))) as image:
        found = gps_of(image)
    assert found == pytest.approx((lat, lon), abs=1e-5)


def test_photo_without_gps_has_none():
    image, gps = open_photo(jpeg_bytes(picture(0)))
    assert gps is None and image.mode == "RGB"


def test_bomb_is_refused_and_the_global_limit_restored():
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(PhotoError, match="decompression bomb"):
        open_photo(bomb_png())
    assert Image.MAX_IMAGE_PIXELS == before


def test_dhash_matches_a_reencoded_resized_copy_and_not_another_photo():
    original = picture(1)
    copy = Image.open(io.BytesIO(jpeg_bytes(original.resize((50, 37)), quality=50)))
    assert hamming(dhash(original), dhash(copy)) <= 6
    assert hamming(dhash(original), dhash(picture(2))) > 6
    deduper = Deduper()
    assert not deduper.check_and_add(dhash(original))
    assert deduper.check_and_add(dhash(copy))
    assert not deduper.check_and_add(dhash(picture(2)))
    assert len(deduper) == 2
