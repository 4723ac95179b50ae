"""What a place's location alone tells of its attributes: the ceiling of a location-conditional generator.

A generator conditioned on (lat, lon) that never saw a held-out city can at best paint, for it,
what the training cities around it suggest. This measures that: for each photo of a held-out
city, the classes of the `k` training cities nearest to it (great-circle distance, one vote per
city: its photos' commonest class) vote, and the share of held-out photos whose own class wins
is the accuracy a perfect location-to-class map learnt from these cities would reach. Beside it,
always answering the commonest held-out class (what a generator that ignores the place can get).
If the ceiling is below the conditional-accuracy target, no generator can meet the target on this
data from the location alone.

`NearestCityPhotos` asks the same of pictures: a stand-in for a generator that paints nothing but
shows, for a place, real training photos of the city the nearest training cities vote for.
Measured through the oracle like a generator, it is what pictures exactly as real as the data
reach when the location is all a model is told.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ml.data.cities import haversine_km
from ml.data.dataset import ManifestDataset

DEFAULT_NEIGHBOURS = (1, 3, 5, 9)


def scene_class(dataset: ManifestDataset, row: dict, attribute: str) -> str | None:
    """The row's class of `attribute`, or None for an outlier (no scene) or an unknown class."""
    attributes = row.get("attributes", {})
    if attributes.get("outlier") or dataset.labels_of(attributes)[attribute] < 0:
        return None
    return attributes[attribute]


def city_classes(dataset: ManifestDataset, attribute: str) -> dict[int, tuple[float, float, str]]:
    """city -> (lat, lon, its photos' commonest class of `attribute`), outliers and unknowns left out."""
    votes: dict[int, Counter] = {}
    places: dict[int, tuple[float, float]] = {}
    for row in dataset.rows:
        value = scene_class(dataset, row, attribute)
        if value is None:
            continue
        city = int(row.get("city") or 0)
        votes.setdefault(city, Counter())[value] += 1
        places.setdefault(city, (float(row["lat"]), float(row["lon"])))
    return {city: (*places[city], counts.most_common(1)[0][0]) for city, counts in votes.items()}


def vote(classes: np.ndarray):
    """The commonest of the classes of cities listed nearest first; a tie goes to the nearer city
    (Counter keeps first-seen order among equal counts)."""
    return Counter(classes.tolist()).most_common(1)[0][0]


def location_ceiling(data: str | Path, attribute: str, neighbours=DEFAULT_NEIGHBOURS) -> dict:
    """{"photos", "train_cities", "heldout_cities", "majority", "nearest": {k: accuracy}} for
    the held-out photos of `data` (ValueError if the data lacks the attribute or a split)."""
    train, heldout = ManifestDataset(data, split="train"), ManifestDataset(data, split="heldout")
    if attribute not in train.classes:
        raise ValueError(f"{data} lists no attribute {attribute!r} in its dataset.json "
                         f"(it lists: {', '.join(train.classes) or 'none'})")
    known = city_classes(train, attribute)
    if not known:
        raise ValueError(f"{data}: no training photo carries a {attribute} class")
    train_lat, train_lon, train_class = (np.array(values) for values in zip(*known.values()))
    photos = [(float(row["lat"]), float(row["lon"]), value) for row in heldout.rows
              if (value := scene_class(heldout, row, attribute)) is not None]
    if not photos:
        raise ValueError(f"{data}: no held-out photo carries a {attribute} class")
    lat, lon, truth = (np.array(values) for values in zip(*photos))
    order = np.argsort(haversine_km(lat[:, None], lon[:, None], train_lat[None], train_lon[None]), axis=1)
    nearest = {}
    for k in neighbours:
        guesses = [vote(train_class[row[:k]]) for row in order]
        nearest[k] = float(np.mean(np.array(guesses) == truth))
    return {"photos": len(photos), "train_cities": len(known),
            "heldout_cities": len({int(row.get("city") or 0) for row in heldout.rows}),
            "majority": Counter(truth.tolist()).most_common(1)[0][1] / len(photos), "nearest": nearest}


class NearestCityPhotos:
    """For a place ({"lat", "lon"}), a real training photo (`picture`: "image" or "background")
    of the nearest of its `k` nearest training cities whose commonest class of `attribute` wins
    their vote (the choice `location_ceiling` scores); the seed picks among that city's photos.
    Shaped like a pipeline, so `ml.eval.metrics.evaluate` measures it like a generator; `k` may be
    changed between measurements, the photos are decoded once."""

    def __init__(self, data: str | Path, attribute: str, k: int = 1, *, resolution: int, picture: str = "image"):
        from ml.eval.metrics import to_pictures
        from ml.train.image_cache import load_image_cache

        known = city_classes(ManifestDataset(data, split="train"), attribute)
        photos = load_image_cache(data, resolution=resolution, split="train", progress=False, picture=picture)
        rows: dict[int, list[int]] = {}
        for index, city in enumerate(photos.city.tolist()):
            rows.setdefault(city, []).append(index)
        self.cities = [city for city in known if city in rows]
        self.lat, self.lon, self.classes = (np.array([known[city][field] for city in self.cities])
                                            for field in range(3))
        self.rows, self.pictures = rows, to_pictures(photos.images)
        self.k, self.resolution = k, resolution

    def generate(self, inputs: list[dict], seeds: list[int], progress=None) -> list:
        chosen = []
        for place, seed in zip(inputs, seeds):
            order = np.argsort(haversine_km(place["lat"], place["lon"], self.lat, self.lon))[:self.k]
            chosen_class = vote(self.classes[order])
            city = next(self.cities[index] for index in order if self.classes[index] == chosen_class)
            rows = self.rows[city]
            chosen.append(self.pictures[rows[seed % len(rows)]])
        return chosen
