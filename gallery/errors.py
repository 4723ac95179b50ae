"""User-facing messages of the gallery; tests assert against these constants."""

ARTWORK_UNKNOWN = "No artwork has the id {artwork_id}."
