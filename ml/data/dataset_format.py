"""The standard dataset format's constants, shared by every writer (GeoScenes, ingest): the
name and version dataset.json declares, and the PNG encoder options of its pictures (fixed, and
without metadata chunks, so equal pixels give equal bytes; fast, and barely larger)."""

FORMAT = "genius-loci-dataset"
VERSION = 1
PNG_OPTIONS = {"format": "PNG", "compress_level": 1, "optimize": False}
