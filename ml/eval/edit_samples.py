"""Source pictures for showing what an edit model does: GeoScenes renders of fixed places.

A model registered without any artwork to edit still needs sources for its sample grid; these
are rendered on the fly (GeoScenes is a pure function of place, seed and index), at the model's
resolution, from places that look unlike each other.
"""
from __future__ import annotations

from PIL import Image

from ml.train.edit import SAMPLE_TEXTS

SOURCE_PLACES = (  # (lat, lon, photo index): the nearest GeoScenes city is rendered
    (47.36667, 8.55, 0),  # Zürich
    (31.63416, -7.99994, 1),  # Marrakesh
    (1.28967, 103.85007, 2),  # Singapore
)
SOURCE_SEED = 5


def source_pictures(resolution: int) -> list[Image.Image]:
    from ml.data.cities import nearest_city
    from ml.data.geoscenes.places import place_of
    from ml.data.geoscenes.render import render_sample

    return [Image.fromarray(render_sample(place_of(nearest_city(lat, lon)), SOURCE_SEED, index, resolution).image)
            for lat, lon, index in SOURCE_PLACES]


def registry_sample_inputs(resolution: int) -> list[dict]:
    """The columns of a model's sample grid: the first source edited by each sample text."""
    source = source_pictures(resolution)[0]
    return [{"image": source, "text": text} for text in SAMPLE_TEXTS]
