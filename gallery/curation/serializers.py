"""What the exhibitions API reads (strict: unknown fields are refused) and what it answers."""
from django.urls import reverse
from rest_framework import serializers

from config.api import StrictSerializer
from gallery.apis import ArtworkSerializer
from gallery.curation import errors, selectors
from gallery.errors import ARTWORK_UNKNOWN
from gallery.filters import ArtworkFilterSerializer
from gallery.models import Artwork

TITLE_MAX = 200
STATEMENT_MAX = 10_000
WALL_TEXT_MAX = 2_000
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _text(field: str, max_length: int, *, required_message: str = "", **kwargs) -> serializers.CharField:
    messages = {"max_length": errors.TEXT_TOO_LONG.format(field=field, max=max_length)}
    if required_message:
        messages.update(required=required_message, blank=required_message)
    return serializers.CharField(max_length=max_length, error_messages=messages, **kwargs)


def _artwork_id(field: str, **kwargs) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        queryset=Artwork.objects.all(),
        error_messages={
            "required": errors.ARTWORK_ID_INVALID.format(field=field),
            "null": errors.ARTWORK_ID_INVALID.format(field=field),
            "incorrect_type": errors.ARTWORK_ID_INVALID.format(field=field),
            "does_not_exist": ARTWORK_UNKNOWN.format(artwork_id="{pk_value}"),
        },
        **kwargs,
    )


class ExhibitionWriteSerializer(StrictSerializer):
    """Create (title and slug required) or change (any subset) an exhibition."""

    title = _text("title", TITLE_MAX, required_message=errors.TITLE_REQUIRED)
    slug = serializers.RegexField(
        SLUG_PATTERN, max_length=80,
        error_messages={
            "required": errors.SLUG_REQUIRED, "blank": errors.SLUG_REQUIRED,
            "invalid": errors.SLUG_INVALID, "max_length": errors.SLUG_INVALID,
        },
    )
    statement = _text("statement", STATEMENT_MAX, required=False, allow_blank=True)
    cover = _artwork_id("cover", required=False, allow_null=True, help_text="An artwork of the exhibition's items, or null.")


class ItemAddSerializer(StrictSerializer):
    artwork = _artwork_id("artwork", help_text="The artwork to hang at the end of the exhibition.")
    wall_text = _text("wall_text", WALL_TEXT_MAX, required=False, allow_blank=True, default="")


class ItemUpdateSerializer(StrictSerializer):
    wall_text = _text("wall_text", WALL_TEXT_MAX, allow_blank=True)


class OrderSerializer(StrictSerializer):
    items = serializers.ListField(
        child=serializers.IntegerField(
            min_value=1, error_messages={key: errors.ORDER_NOT_IDS for key in ("invalid", "min_value", "max_string_length")}
        ),
        error_messages={"not_a_list": errors.ORDER_NOT_IDS, "required": errors.ORDER_NOT_IDS, "null": errors.ORDER_NOT_IDS},
        help_text="Every item id of the exhibition, in the new order.",
    )


class ExhibitionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    wall_text = serializers.CharField()
    hidden = serializers.BooleanField(source="artwork.hidden", help_text="Curators only see hidden artworks; the public never does.")
    artwork = ArtworkSerializer()


class ExhibitionSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    statement = serializers.CharField()
    url = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(allow_null=True, help_text="null: a draft, seen by curators only.")
    cover = serializers.SerializerMethodField(help_text="The cover artwork's id: the chosen one, else the first item's.")
    item_count = serializers.SerializerMethodField()

    def get_url(self, exhibition) -> str:
        return self.context["request"].build_absolute_uri(exhibition.get_absolute_url())

    def get_cover(self, exhibition) -> int | None:
        cover = selectors.exhibition_cover(exhibition=exhibition)
        return cover.pk if cover else None

    def get_item_count(self, exhibition) -> int:
        return len(exhibition.shown_items)


class ExhibitionSerializer(ExhibitionSummarySerializer):
    kiosk_url = serializers.SerializerMethodField()
    catalogue_url = serializers.SerializerMethodField()
    items = ExhibitionItemSerializer(many=True, source="shown_items")

    def get_kiosk_url(self, exhibition) -> str:
        return self.context["request"].build_absolute_uri(reverse("gallery:exhibition-kiosk", args=[exhibition.slug]))

    def get_catalogue_url(self, exhibition) -> str:
        return self.context["request"].build_absolute_uri(reverse("gallery:exhibition-catalogue", args=[exhibition.slug]))


class PoolFilterSerializer(ArtworkFilterSerializer):
    """The gallery's filters, and the curators' toggles of the pool."""

    favourites = serializers.BooleanField(default=False, help_text="Only this curator's favourites.")
    hidden = serializers.BooleanField(default=False, help_text="Only hidden artworks.")
