"""Photos for the ingest tests: distinct random pictures, with or without GPS EXIF."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ml.data.ingest.exif import exif_with_gps


def picture(seed: int, size=(96, 72)) -> Image.Image:
    """A smooth random picture (blocks upscaled), so dHashes of different seeds differ."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(blocks, "RGB").resize(size, Image.Resampling.BILINEAR)


def jpeg_bytes(image: Image.Image, gps=None, quality=90) -> bytes:
    buffer = io.BytesIO()
    extra = {"exif": exif_with_gps(*gps).tobytes()} if gps else {}
    image.save(buffer, "JPEG", quality=quality, **extra)
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def bomb_png(width=200_000, height=200_000) -> bytes:
    """A valid PNG header claiming width x height pixels, with a tiny body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IDAT", zlib.compress(b"\0" * 16))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + body + chunk(b"IEND", b"")


@pytest.fixture
def photo_folder(tmp_path):
    """3 good photos (Oslo, Tokyo, Sydney), a re-encoded resized copy, and 4 bad files."""
    folder = tmp_path / "photos"
    (folder / "trip").mkdir(parents=True)
    (folder / "oslo.jpg").write_bytes(jpeg_bytes(picture(1), (59.9127, 10.7461)))
    (folder / "trip" / "tokyo.jpg").write_bytes(jpeg_bytes(picture(2), (35.6895, 139.6917)))
    (folder / "trip" / "sydney.jpg").write_bytes(jpeg_bytes(picture(3), (-33.8679, 151.2073)))
    copy = picture(1).resize((64, 48), Image.Resampling.LANCZOS)
    (folder / "oslo-copy.jpg").write_bytes(jpeg_bytes(copy, (59.9127, 10.7461), quality=60))
    full = jpeg_bytes(picture(4), (48.85, 2.35))
    (folder / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (folder / "notes.jpg").write_text("this is not a photo\n")
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "nogps.jpg").write_bytes(jpeg_bytes(picture(5)))
    return folder


@pytest.fixture(scope="session")
def tiny_geoscenes(tmp_path_factory):
    """A small GeoScenes set with its outlier ground truth."""
    from ml.cli import main

    out = tmp_path_factory.mktemp("geoscenes") / "tiny"
    assert main(["geoscenes", "--cities", "2", "--per-city", "16", "--size", "16", "--seed", "3",
                 "--out", str(out)]) == 0
    return out
