"""What a gallery listing may ask for: filters, sort and page, parsed in one place for the
gallery page, the map of artworks and the artworks API.

Blank values (an empty select of the filter form) mean "no filter". Anything else that is not
valid is refused with a message naming its field.
"""
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from rest_framework import serializers

from gallery.models import City
from generation.models import GENERATOR_KIND_CHOICES, ModelVersion

SORTS = ("newest", "most_viewed")
PAGE_SIZE = 24
PAGE_SIZE_MAX = 100

CITY_INVALID = "city must be a GeoNames city id (a positive whole number)."
CITY_UNKNOWN = "city: no city has the id {value}."
COUNTRY_INVALID = "country must be a two-letter ISO country code, such as GB."
KIND_INVALID = "kind must be one of: {kinds}."
MODEL_VERSION_INVALID = "model_version must be a model version id (a positive whole number)."
MODEL_VERSION_UNKNOWN = "model_version: no model version has the id {value}."
DATE_INVALID = "{field} must be a date written YYYY-MM-DD."
DATE_ORDER = "created_to must not be before created_from."
SORT_INVALID = "sort must be one of: {sorts}."
PAGE_INVALID = "page must be a whole number from 1 to {last}."
PAGE_SIZE_INVALID = "page_size must be a whole number from 1 to {max}."

_COUNTRY = r"^[A-Za-z]{2}$"


def _id_field(message: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,
        error_messages={key: message for key in ("invalid", "min_value", "max_value", "max_string_length")},
    )


def _date_field(name: str) -> serializers.DateField:
    return serializers.DateField(required=False, input_formats=["iso-8601"], error_messages={"invalid": DATE_INVALID.format(field=name)})


class ArtworkFilterSerializer(serializers.Serializer):
    """The keyword arguments of `gallery.selectors.artwork_list`, from query parameters."""

    city = _id_field(CITY_INVALID)
    country = serializers.RegexField(_COUNTRY, required=False, help_text="Two-letter ISO country code.",
                                     error_messages={"invalid": COUNTRY_INVALID})
    kind = serializers.ChoiceField(
        choices=GENERATOR_KIND_CHOICES, required=False,
        error_messages={"invalid_choice": KIND_INVALID.format(kinds=", ".join(value for value, _ in GENERATOR_KIND_CHOICES))},
    )
    model_version = _id_field(MODEL_VERSION_INVALID)
    created_from = _date_field("created_from")
    created_to = _date_field("created_to")
    sort = serializers.ChoiceField(
        choices=SORTS, default="newest", error_messages={"invalid_choice": SORT_INVALID.format(sorts=", ".join(SORTS))}
    )

    def to_internal_value(self, data):
        given = {name: data.get(name) for name in self.fields if data.get(name) is not None}
        return super().to_internal_value({name: value for name, value in given.items() if str(value).strip()})

    def validate_city(self, value: int) -> int:
        if not City.objects.filter(pk=value).exists():
            raise serializers.ValidationError(CITY_UNKNOWN.format(value=value))
        return value

    def validate_country(self, value: str) -> str:
        return value.upper()

    def validate_model_version(self, value: int) -> int:
        if not ModelVersion.objects.filter(pk=value).exists():
            raise serializers.ValidationError(MODEL_VERSION_UNKNOWN.format(value=value))
        return value

    def validate(self, attrs):
        start, end = attrs.get("created_from"), attrs.get("created_to")
        if start and end and end < start:
            raise serializers.ValidationError({"created_to": [DATE_ORDER]})
        return attrs


def whole_number(raw: str | None) -> int | None:
    """A query parameter written in ASCII digits, as an int; None for anything else (such as "²",
    a digit to str.isdigit but not to int)."""
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)


def page_size_parse(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return PAGE_SIZE
    size = whole_number(raw)
    if size is None or not 1 <= size <= PAGE_SIZE_MAX:
        raise serializers.ValidationError({"page_size": [PAGE_SIZE_INVALID.format(max=PAGE_SIZE_MAX)]})
    return size


def page_of(queryset, *, number: str | None, size: int) -> Page:
    """One page of a listing; a page that is not a number or lies past the last one is refused."""
    paginator = Paginator(queryset, size)
    try:
        return paginator.page(number if number not in (None, "") else 1)
    except (PageNotAnInteger, EmptyPage):
        raise serializers.ValidationError({"page": [PAGE_INVALID.format(last=paginator.num_pages)]}) from None
