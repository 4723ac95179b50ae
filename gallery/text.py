import unicodedata


def fold(text: str) -> str:
    """Lower-case ASCII form of a name: "Zürich" and "zurich" fold to the same key."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()
