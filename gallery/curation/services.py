"""Writes of curation: moderation (hide, show again), favourites, exhibitions and their items.

A refusal is a django ValidationError mapping the field to its message (gallery.curation.errors);
a refused write changes nothing.
"""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from gallery.curation import errors
from gallery.models import Artwork, Exhibition, ExhibitionItem, Favourite


def artwork_hide(*, artwork: Artwork, user) -> Artwork:
    """Take an artwork out of every public list, page and exhibition; it stays in the database."""
    return _artwork_set_hidden(artwork=artwork, user=user, hidden=True)


def artwork_unhide(*, artwork: Artwork, user) -> Artwork:
    return _artwork_set_hidden(artwork=artwork, user=user, hidden=False)


def _artwork_set_hidden(*, artwork: Artwork, user, hidden: bool) -> Artwork:
    artwork.hidden, artwork.hidden_changed_by, artwork.hidden_changed_at = hidden, user, timezone.now()
    artwork.save(update_fields=["hidden", "hidden_changed_by", "hidden_changed_at"])
    return artwork


def favourite_add(*, artwork: Artwork, user) -> Favourite:
    favourite, _ = Favourite.objects.get_or_create(user=user, artwork=artwork)
    return favourite


def favourite_remove(*, artwork: Artwork, user) -> None:
    Favourite.objects.filter(user=user, artwork=artwork).delete()


def _slug_taken(slug: str) -> ValidationError:
    other = Exhibition.objects.get(slug=slug)
    return ValidationError({"slug": [errors.SLUG_TAKEN.format(title=other.title, slug=slug)]})


def _save_checking_slug(exhibition: Exhibition) -> None:
    clash = Exhibition.objects.filter(slug=exhibition.slug).exclude(pk=exhibition.pk).exists()
    if clash:
        raise _slug_taken(exhibition.slug)
    try:
        with transaction.atomic():
            exhibition.save()
    except IntegrityError:  # another curator took the slug in between
        raise _slug_taken(exhibition.slug) from None


def _cover_refused(cover: Artwork) -> ValidationError:
    return ValidationError({"cover": [errors.COVER_NOT_AN_ITEM.format(artwork_id=cover.pk)]})


def exhibition_create(*, title: str, slug: str, statement: str = "", cover: Artwork | None = None, user) -> Exhibition:
    """A new draft exhibition, without items (so without a cover yet)."""
    if cover is not None:
        raise _cover_refused(cover)
    exhibition = Exhibition(title=title, slug=slug, statement=statement, created_by=user)
    _save_checking_slug(exhibition)
    return exhibition


def exhibition_update(*, exhibition: Exhibition, **changes) -> Exhibition:
    """Change any of title, slug, statement and cover (an Artwork among its items, or None)."""
    cover = changes.get("cover")
    if cover is not None and not exhibition.items.filter(artwork=cover).exists():
        raise _cover_refused(cover)
    for field, value in changes.items():
        setattr(exhibition, field, value)
    _save_checking_slug(exhibition)
    return exhibition


def exhibition_delete(*, exhibition: Exhibition) -> None:
    exhibition.delete()


def exhibition_publish(*, exhibition: Exhibition) -> Exhibition:
    """Make the exhibition public; publishing again keeps its first date."""
    if exhibition.published_at is None:
        exhibition.published_at = timezone.now()
        exhibition.save(update_fields=["published_at", "updated"])
    return exhibition


def exhibition_unpublish(*, exhibition: Exhibition) -> Exhibition:
    exhibition.published_at = None
    exhibition.save(update_fields=["published_at", "updated"])
    return exhibition


@transaction.atomic
def exhibition_item_add(*, exhibition: Exhibition, artwork: Artwork, wall_text: str = "") -> ExhibitionItem:
    """Hang an artwork at the end of the exhibition."""
    if exhibition.items.filter(artwork=artwork).exists():
        raise ValidationError({"artwork": [errors.ALREADY_AN_ITEM.format(artwork_id=artwork.pk)]})
    last = exhibition.items.aggregate(last=Max("position"))["last"]
    return ExhibitionItem.objects.create(
        exhibition=exhibition, artwork=artwork, wall_text=wall_text, position=0 if last is None else last + 1
    )


def exhibition_item_update(*, item: ExhibitionItem, wall_text: str) -> ExhibitionItem:
    item.wall_text = wall_text
    item.save(update_fields=["wall_text"])
    return item


@transaction.atomic
def exhibition_item_remove(*, item: ExhibitionItem) -> None:
    """Take an item down; if its artwork was the cover, the exhibition has none until one is chosen."""
    exhibition = item.exhibition
    if exhibition.cover_id == item.artwork_id:
        exhibition.cover = None
        exhibition.save(update_fields=["cover", "updated"])
    item.delete()


@transaction.atomic
def exhibition_reorder(*, exhibition: Exhibition, item_ids: list[int]) -> list[ExhibitionItem]:
    """Put the items in the order given, which must list every item of this exhibition once."""
    items = {item.pk: item for item in exhibition.items.select_for_update()}
    foreign = [pk for pk in dict.fromkeys(item_ids) if pk not in items]
    duplicates = sorted({pk for pk in item_ids if item_ids.count(pk) > 1})
    missing = sorted(set(items) - set(item_ids))
    for found, message in ((foreign, errors.ORDER_FOREIGN), (duplicates, errors.ORDER_DUPLICATES), (missing, errors.ORDER_INCOMPLETE)):
        if found:
            raise ValidationError({"items": [message.format(ids=", ".join(map(str, found)))]})
    for position, pk in enumerate(item_ids):
        items[pk].position = position
    ExhibitionItem.objects.bulk_update(items.values(), ["position"])
    return [items[pk] for pk in item_ids]
