"""The gallery's reads of artworks: filters, sorts, the thinned map, lineage, facets; hidden
artworks are left out of every public read."""
import datetime

from gallery import selectors
from gallery.models import Artwork
from gallery.selectors import BBox
from tests.conftest import write_tiny_place_model
from tests.gallery.conftest import ids
from tests.gallery.factories import artwork_paint

WORLD = BBox(west=-180, south=-90, east=180, north=90)


def test_the_list_is_newest_first_and_leaves_hidden_artworks_out(gallery):
    g = gallery
    assert ids(selectors.artwork_list()) == ids([g.sea, g.suva, g.auckland, g.tromso, g.london, g.variation, g.oxford])


def test_curators_can_ask_for_hidden_artworks_too(gallery):
    assert gallery.hidden.pk in ids(selectors.artwork_list(include_hidden=True))
    assert selectors.artwork_get(artwork_id=gallery.hidden.pk) is None
    assert selectors.artwork_get(artwork_id=gallery.hidden.pk, include_hidden=True) == gallery.hidden


def test_most_viewed_first_then_newest(gallery):
    g = gallery
    listed = ids(selectors.artwork_list(sort="most_viewed"))
    assert listed == ids([g.london, g.oxford, g.suva, g.auckland, g.tromso, g.sea, g.variation])


def test_filters_by_city_country_kind_and_dates(gallery, cities):
    g = gallery
    assert ids(selectors.artwork_list(city=cities["Oxford"].pk)) == ids([g.variation, g.oxford])
    assert ids(selectors.artwork_list(country="GB")) == ids([g.london, g.variation, g.oxford])
    assert ids(selectors.artwork_list(kind="edit")) == []
    assert len(selectors.artwork_list(kind="place")) == 7
    january = selectors.artwork_list(created_from=datetime.date(2026, 1, 10), created_to=datetime.date(2026, 1, 12))
    assert ids(january) == ids([g.variation, g.oxford])  # both ends count
    assert ids(selectors.artwork_list(created_from=datetime.date(2026, 3, 6))) == ids([g.sea, g.suva])
    assert ids(selectors.artwork_list(country="GB", created_to=datetime.date(2026, 1, 31))) == ids([g.variation, g.oxford])


def test_filters_by_model_version(gallery, cities, tmp_path):
    from generation.services import model_version_register

    other = model_version_register(folder=write_tiny_place_model(tmp_path / "other", seed=1), name="other", activate=True)
    newer = artwork_paint(seed=1, city=cities["Oxford"])
    assert ids(selectors.artwork_list(model_version=other.pk)) == [newer.pk]
    assert newer.pk not in ids(selectors.artwork_list(model_version=gallery.oxford.model_version_id))


def test_the_map_keeps_one_artwork_per_cell_the_most_viewed_and_counts_the_rest(gallery):
    g = gallery
    # At zoom 2 a cell is 22.5 degrees: Oxford's two public artworks and London's share one.
    markers = selectors.artwork_map(bbox=WORLD, zoom=2, limit=100)
    by_id = {marker.pk: marker for marker in markers}
    assert g.london.pk in by_id and g.oxford.pk not in by_id and g.variation.pk not in by_id
    assert by_id[g.london.pk].cell_count == 3  # the hidden variation is not counted
    assert {g.tromso.pk, g.auckland.pk, g.suva.pk, g.sea.pk} <= set(by_id)
    # Zoomed in, London and Oxford part; Oxford's two still share a cell.
    close = {m.pk: m for m in selectors.artwork_map(bbox=BBox(west=-3, south=50, east=1, north=53), zoom=9, limit=100)}
    assert set(close) == {g.london.pk, g.oxford.pk}
    assert (close[g.london.pk].cell_count, close[g.oxford.pk].cell_count) == (1, 2)


def test_the_map_takes_boxes_across_the_antimeridian_filters_and_a_limit(gallery):
    g = gallery
    pacific = selectors.artwork_map(bbox=BBox(west=170, south=-40, east=-170, north=-10), zoom=8, limit=100)
    assert set(ids(pacific)) == {g.auckland.pk, g.suva.pk}
    assert ids(selectors.artwork_map(bbox=WORLD, zoom=8, limit=100, country="NO")) == [g.tromso.pk]
    top = selectors.artwork_map(bbox=WORLD, zoom=8, limit=2)
    assert ids(top) == ids([g.london, g.oxford])  # the most viewed first


def test_the_extent_of_the_artworks_shown(gallery, cities):
    g = gallery
    assert selectors.artwork_extent(country="GB") == BBox(west=g.oxford.lon, south=g.london.lat, east=g.london.lon, north=g.oxford.lat)
    assert selectors.artwork_extent() == BBox(west=-30.25, south=g.auckland.lat, east=g.suva.lon, north=g.tromso.lat)
    assert selectors.artwork_extent(kind="edit") is None


def test_lineage_shows_public_parents_and_children_only(gallery):
    g = gallery
    oxford = selectors.artwork_get(artwork_id=g.oxford.pk)
    assert ids(selectors.artwork_children(artwork=oxford)) == [g.variation.pk]
    assert ids(selectors.artwork_children(artwork=Artwork.objects.get(pk=g.oxford.pk))) == [g.variation.pk]
    assert selectors.artwork_parent(artwork=g.variation) == g.oxford
    Artwork.objects.filter(pk=g.oxford.pk).update(hidden=True)
    assert selectors.artwork_parent(artwork=Artwork.objects.get(pk=g.variation.pk)) is None


def test_facets_offer_what_public_artworks_have(gallery, cities):
    Artwork.objects.filter(pk=gallery.tromso.pk).update(hidden=True)
    facets = selectors.artwork_facets()
    assert [city.name for city in facets["cities"]] == ["Auckland", "London", "Oxford", "Suva"]
    assert facets["countries"] == ["FJ", "GB", "NZ"]
    assert facets["model_versions"] == [gallery.oxford.model_version]
