"""Curation services and selectors: moderation with its audit, favourites, the pool, exhibitions
(items, order, cover, publishing) and what the public sees of them."""
import pytest
from django.core.exceptions import ValidationError

from gallery.curation import errors, selectors, services
from gallery.models import Artwork, Exhibition, ExhibitionItem
from tests.gallery.conftest import ids
from tests.gallery.curation.conftest import exhibition_build, user_make


def messages(error: ValidationError) -> dict:
    return error.value.message_dict


def test_hiding_records_who_and_when_and_keeps_the_artwork(gallery, curator):
    services.artwork_hide(artwork=gallery.london, user=curator)
    london = Artwork.objects.get(pk=gallery.london.pk)
    assert london.hidden and london.hidden_changed_by == curator and london.hidden_changed_at is not None
    hidden_at = london.hidden_changed_at

    other = user_make("cleo", curator=True)
    services.artwork_unhide(artwork=london, user=other)
    london.refresh_from_db()
    assert not london.hidden and london.hidden_changed_by == other and london.hidden_changed_at > hidden_at


def test_the_pool_has_hidden_artworks_favourites_and_the_gallery_filters(gallery, curator, visitor, cities):
    services.favourite_add(artwork=gallery.london, user=curator)
    services.favourite_add(artwork=gallery.london, user=curator)  # twice is still one favourite
    services.favourite_add(artwork=gallery.hidden, user=curator)
    services.favourite_add(artwork=gallery.suva, user=visitor)  # another curator's favourite

    pool = selectors.curation_pool(user=curator)
    assert len(pool) == 8 and gallery.hidden.pk in ids(pool)
    assert {a.pk for a in pool if a.is_favourite} == {gallery.london.pk, gallery.hidden.pk}
    assert ids(selectors.curation_pool(user=curator, favourites_only=True)) == [gallery.london.pk, gallery.hidden.pk]
    assert ids(selectors.curation_pool(user=curator, hidden_only=True)) == [gallery.hidden.pk]
    assert ids(selectors.curation_pool(user=curator, favourites_only=True, country="GB", sort="most_viewed")) == [
        gallery.hidden.pk, gallery.london.pk
    ]
    services.favourite_remove(artwork=gallery.london, user=curator)
    assert ids(selectors.curation_pool(user=curator, favourites_only=True)) == [gallery.hidden.pk]


def test_items_are_hung_in_order_and_an_artwork_only_once(gallery, curator):
    exhibition = exhibition_build(user=curator, slug="winter", artworks=[gallery.tromso, gallery.oxford], published=False)
    items = list(exhibition.items.all())
    assert [(i.artwork, i.position, i.wall_text) for i in items] == [(gallery.tromso, 0, "Wall text 1"), (gallery.oxford, 1, "Wall text 2")]
    with pytest.raises(ValidationError) as refused:
        services.exhibition_item_add(exhibition=exhibition, artwork=gallery.tromso)
    assert messages(refused) == {"artwork": [errors.ALREADY_AN_ITEM.format(artwork_id=gallery.tromso.pk)]}
    assert exhibition.items.count() == 2


def test_reordering_takes_every_item_once_and_refuses_anything_else_changing_nothing(gallery, curator):
    winter = exhibition_build(user=curator, slug="winter", artworks=[gallery.tromso, gallery.oxford, gallery.london])
    other = exhibition_build(user=curator, slug="south", artworks=[gallery.suva])
    a, b, c = winter.items.values_list("pk", flat=True)
    (foreign,) = other.items.values_list("pk", flat=True)

    services.exhibition_reorder(exhibition=winter, item_ids=[c, a, b])
    assert list(winter.items.values_list("pk", flat=True)) == [c, a, b]

    refusals = {
        (c, a, foreign): errors.ORDER_FOREIGN.format(ids=foreign),
        (c, a, b, foreign): errors.ORDER_FOREIGN.format(ids=foreign),
        (c, a, a, b): errors.ORDER_DUPLICATES.format(ids=a),
        (c, a): errors.ORDER_INCOMPLETE.format(ids=b),
    }
    for order, message in refusals.items():
        with pytest.raises(ValidationError) as refused:
            services.exhibition_reorder(exhibition=winter, item_ids=list(order))
        assert messages(refused) == {"items": [message]}
    assert list(winter.items.values_list("pk", flat=True)) == [c, a, b]
    assert list(other.items.values_list("pk", "position")) == [(foreign, 0)]


def test_a_duplicate_slug_is_refused_with_the_title_that_has_it(gallery, curator):
    exhibition_build(user=curator, slug="winter", title="Cities in winter", artworks=[])
    with pytest.raises(ValidationError) as refused:
        services.exhibition_create(title="Another", slug="winter", user=curator)
    assert messages(refused) == {"slug": [errors.SLUG_TAKEN.format(title="Cities in winter", slug="winter")]}
    second = services.exhibition_create(title="Another", slug="another", user=curator)
    with pytest.raises(ValidationError):
        services.exhibition_update(exhibition=second, slug="winter")
    assert Exhibition.objects.get(pk=second.pk).slug == "another"


def test_the_cover_is_one_of_the_items_and_falls_back_to_the_first_public_one(gallery, curator):
    exhibition = exhibition_build(user=curator, slug="winter", artworks=[gallery.tromso, gallery.oxford])
    with pytest.raises(ValidationError) as refused:
        services.exhibition_update(exhibition=exhibition, cover=gallery.suva)
    assert messages(refused) == {"cover": [errors.COVER_NOT_AN_ITEM.format(artwork_id=gallery.suva.pk)]}

    services.exhibition_update(exhibition=exhibition, cover=gallery.oxford)
    public = selectors.exhibition_get(slug="winter")
    assert selectors.exhibition_cover(exhibition=public) == gallery.oxford
    services.artwork_hide(artwork=gallery.oxford, user=curator)
    assert selectors.exhibition_cover(exhibition=selectors.exhibition_get(slug="winter")) == gallery.tromso

    services.exhibition_item_remove(item=exhibition.items.get(artwork=gallery.oxford))
    assert Exhibition.objects.get(pk=exhibition.pk).cover is None


def test_the_public_sees_published_exhibitions_without_hidden_artworks(gallery, curator):
    exhibition = exhibition_build(user=curator, slug="winter", artworks=[gallery.tromso, gallery.hidden, gallery.oxford])
    exhibition_build(user=curator, slug="draft", artworks=[gallery.suva], published=False)

    assert [e.slug for e in selectors.exhibition_list()] == ["winter"]
    assert [e.slug for e in selectors.exhibition_list(include_drafts=True)] == ["winter", "draft"]
    assert selectors.exhibition_get(slug="draft") is None
    public = selectors.exhibition_get(slug="winter")
    assert [item.artwork for item in public.shown_items] == [gallery.tromso, gallery.oxford]
    curators_view = selectors.exhibition_get(slug="winter", include_hidden=True)
    assert [item.artwork for item in curators_view.shown_items] == [gallery.tromso, gallery.hidden, gallery.oxford]
    assert ExhibitionItem.objects.filter(exhibition=exhibition).count() == 3  # kept for the audit


def test_publishing_again_keeps_the_first_date_and_unpublishing_makes_a_draft(gallery, curator):
    exhibition = exhibition_build(user=curator, slug="winter", artworks=[gallery.tromso])
    first = exhibition.published_at
    services.exhibition_publish(exhibition=exhibition)
    assert Exhibition.objects.get(pk=exhibition.pk).published_at == first
    services.exhibition_unpublish(exhibition=exhibition)
    assert selectors.exhibition_get(slug="winter") is None
    assert list(selectors.exhibition_drafts_of(user=curator)) == [exhibition]
