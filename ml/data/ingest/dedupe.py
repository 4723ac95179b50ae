"""Near-duplicate removal by a 64-bit difference hash (dHash).

dHash: the grey image shrunk to 9x8, one bit per horizontally adjacent pair (is the left pixel
brighter?). Re-encoding, resizing and mild colour changes keep it within a few bits, so two
photos whose hashes differ in at most `threshold` bits are taken as the same photo.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

DEFAULT_THRESHOLD = 6  # bits of 64


def dhash(image: Image.Image) -> int:
    grey = image.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = np.asarray(grey, dtype=np.int16)
    bits = (pixels[:, :-1] > pixels[:, 1:]).ravel()
    return int(np.packbits(bits).view(">u8")[0])


def hamming(a: int, b: int) -> int:
    return (int(a) ^ int(b)).bit_count()


class Deduper:
    """Remembers the hashes kept so far; `is_duplicate(h)` is a vectorised Hamming scan."""

    def __init__(self, threshold: int = DEFAULT_THRESHOLD):
        if not 0 <= threshold < 64:
            raise ValueError(f"threshold must be within [0, 63], got {threshold}")
        self.threshold = threshold
        self._hashes = np.zeros(1024, dtype=np.uint64)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def is_duplicate(self, value: int) -> bool:
        if self._count == 0:
            return False
        distances = np.bitwise_count(self._hashes[: self._count] ^ np.uint64(value))
        return bool(distances.min() <= self.threshold)

    def add(self, value: int) -> None:
        if self._count == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
        self._hashes[self._count] = np.uint64(value)
        self._count += 1

    def check_and_add(self, value: int) -> bool:
        """True (and nothing remembered) for a duplicate; otherwise remember it, return False."""
        if self.is_duplicate(value):
            return True
        self.add(value)
        return False
