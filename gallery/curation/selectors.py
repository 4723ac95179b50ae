"""Reads of curation: the pool curators work from, exhibitions and what each visitor may see of them.

The public sees published exhibitions only, and never a hidden artwork in them; curators see
drafts (as a preview) and hidden artworks (flagged), since they moderate them.
"""
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet

from gallery.models import Artwork, Exhibition, ExhibitionItem, Favourite
from gallery.selectors import artwork_list


def curation_pool(*, user, favourites_only: bool = False, hidden_only: bool = False, **filters) -> QuerySet[Artwork]:
    """Every artwork matching the gallery's filters, hidden ones included, each with
    `is_favourite` for this curator."""
    artworks = artwork_list(include_hidden=True, **filters).select_related("hidden_changed_by")
    artworks = artworks.annotate(is_favourite=Exists(Favourite.objects.filter(user=user, artwork=OuterRef("pk"))))
    if favourites_only:
        artworks = artworks.filter(is_favourite=True)
    if hidden_only:
        artworks = artworks.filter(hidden=True)
    return artworks


def _with_items(exhibitions: QuerySet[Exhibition], *, include_hidden: bool) -> QuerySet[Exhibition]:
    """Exhibitions with `shown_items`: their items in order, with artworks (hidden ones only if asked for)."""
    items = ExhibitionItem.objects.select_related("artwork__city", "artwork__model_version").order_by("position", "id")
    if not include_hidden:
        items = items.filter(artwork__hidden=False)
    return exhibitions.select_related("cover").prefetch_related(Prefetch("items", queryset=items, to_attr="shown_items"))


def _visible(include_drafts: bool) -> QuerySet[Exhibition]:
    return Exhibition.objects.all() if include_drafts else Exhibition.objects.filter(published_at__isnull=False)


def exhibition_list(*, include_drafts: bool = False) -> QuerySet[Exhibition]:
    """Published exhibitions, most recently published first (then drafts, newest first, if
    asked for), each with its public `shown_items`."""
    newest_first = [F("published_at").desc(nulls_last=True), F("created").desc(), F("id").desc()]
    return _with_items(_visible(include_drafts), include_hidden=False).order_by(*newest_first)


def exhibition_get(*, slug: str, include_drafts: bool = False, include_hidden: bool = False) -> Exhibition | None:
    """One exhibition with its `shown_items`; a draft only if `include_drafts` (curators' preview)."""
    return _with_items(_visible(include_drafts), include_hidden=include_hidden).filter(slug=slug).first()


def exhibition_drafts_of(*, user) -> QuerySet[Exhibition]:
    """The drafts a curator made, to add artworks to from the pool."""
    return Exhibition.objects.filter(created_by=user, published_at__isnull=True).order_by("title", "id")


def exhibition_cover(*, exhibition: Exhibition) -> Artwork | None:
    """The chosen cover if it is among the items shown, else the first of them."""
    artworks = [item.artwork for item in exhibition.shown_items]
    chosen = [artwork for artwork in artworks if artwork.pk == exhibition.cover_id]
    return (chosen or artworks or [None])[0]


def exhibition_item_get(*, exhibition: Exhibition, item_id: int) -> ExhibitionItem | None:
    return exhibition.items.select_related("exhibition", "artwork").filter(pk=item_id).first()
