"""What a place's location alone tells of its attributes: the ceiling of a location-conditional generator.

A generator conditioned on (lat, lon) that never saw a held-out city can at best paint, for it,
what the training cities around it suggest. This measures that: for each photo of a held-out
city, the classes of the `k` training cities nearest to it (great-circle distance, one vote per
city: its photos' commonest class) vote, and the share of held-out photos whose own class wins
is the accuracy a perfect location-to-class map learnt from these cities would reach. Beside it,
always answering the commonest held-out class (what a generator that ignores the place can get).
If the ceiling is below the conditional-accuracy target, no generator can meet the target on this
data from the location alone.
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
        # Ties go to the nearer city: Counter keeps first-seen order among equal counts.
        guesses = [Counter(train_class[row[:k]].tolist()).most_common(1)[0][0] for row in order]
        nearest[k] = float(np.mean(np.array(guesses) == truth))
    return {"photos": len(photos), "train_cities": len(known),
            "heldout_cities": len({int(row.get("city") or 0) for row in heldout.rows}),
            "majority": Counter(truth.tolist()).most_common(1)[0][1] / len(photos), "nearest": nearest}
