"""Validation of what a job asks for, one input serializer per generator kind: strict
(`config.api`), and a city or artwork asked for must be there.
"""
import unicodedata

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import StrictFloatField, StrictIntegerField, StrictSerializer, json_type
from gallery import errors as gallery_errors
from gallery.jobs import errors
from gallery.jobs.compose_inputs import ComposeInputsSerializer
from gallery.jobs.place_inputs import INT64_MAX, PlaceInputsSerializer
from gallery.models import Artwork
from gallery.selectors import artwork_get
from generation.regions import RegionError, point_check, region_parse

SEED_MAX = INT64_MAX


class GroundPointSerializer(StrictSerializer):
    lat = StrictFloatField(min_value=-90.0, max_value=90.0, range_message=errors.LAT_RANGE)
    lon = StrictFloatField(min_value=-180.0, max_value=180.0, range_message=errors.LON_RANGE)


class GroundInputsSerializer(StrictSerializer):
    """A drawn region (GeoJSON Polygon geometry) or a dropped point; checked by `generation.regions`."""

    region = serializers.JSONField(required=False)
    point = GroundPointSerializer(required=False)

    def validate_region(self, value) -> dict:
        try:
            return region_parse(value).geometry
        except RegionError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate(self, attrs):
        if "region" in attrs and "point" in attrs:
            raise serializers.ValidationError({"region": [errors.GROUND_REGION_OR_POINT]})
        if "point" in attrs:
            try:
                point_check(attrs["point"]["lat"], attrs["point"]["lon"])
            except RegionError as error:
                raise serializers.ValidationError({"point": [str(error)]}) from None
        elif "region" not in attrs:
            raise serializers.ValidationError({"region": [errors.GROUND_NEEDS_REGION]})
        return attrs


EDIT_TEXT_MAX = 300
EDIT_COUNT_MAX = 8
EDIT_FRAMES_MIN, EDIT_FRAMES_MAX, EDIT_FRAMES_DEFAULT = 2, 32, 8


@extend_schema_field(OpenApiTypes.STR)
class EditTextField(serializers.Field):
    """A text of 1 to 300 characters, not only whitespace, valid UTF-8 (no lone surrogates,
    which is how undecodable request bytes arrive) and free of control characters."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(errors.TEXT_REQUIRED.format(type=json_type(data)))
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError(errors.TEXT_NOT_UTF8) from None
        if any(unicodedata.category(character) == "Cc" for character in data):
            raise serializers.ValidationError(errors.TEXT_CONTROL_CHARACTERS)
        text = data.strip()
        if not text:
            raise serializers.ValidationError(errors.TEXT_EMPTY)
        if len(text) > EDIT_TEXT_MAX:
            raise serializers.ValidationError(errors.TEXT_TOO_LONG.format(length=len(text), max=EDIT_TEXT_MAX))
        return text

    def to_representation(self, value):
        return value


class EditInputsSerializer(StrictSerializer):
    """{artwork, text, n}: n edits of a visible artwork; or {artwork, text, text_to, frames}:
    one strip of frames going from the first text to the second."""

    artwork = StrictIntegerField(min_value=1, max_value=INT64_MAX,
                                 range_message=gallery_errors.ARTWORK_UNKNOWN.format(artwork_id="{value}"))
    text = EditTextField()
    n = StrictIntegerField(min_value=1, max_value=EDIT_COUNT_MAX,
                           range_message=errors.EDIT_COUNT_RANGE.format(max=EDIT_COUNT_MAX), required=False)
    text_to = EditTextField(required=False)
    frames = StrictIntegerField(
        min_value=EDIT_FRAMES_MIN, max_value=EDIT_FRAMES_MAX, required=False,
        range_message=errors.EDIT_FRAMES_RANGE.format(min=EDIT_FRAMES_MIN, max=EDIT_FRAMES_MAX))

    def validate_artwork(self, value: int) -> int:
        if artwork_get(artwork_id=value) is None:  # hidden artworks are not there for the public
            raise serializers.ValidationError(gallery_errors.ARTWORK_UNKNOWN.format(artwork_id=value))
        return value

    def validate(self, attrs):
        if "text_to" in attrs:
            if "n" in attrs:
                raise serializers.ValidationError({"n": [errors.EDIT_ONE_INTERPOLATION]})
            attrs.setdefault("frames", EDIT_FRAMES_DEFAULT)
        elif "frames" in attrs:
            raise serializers.ValidationError({"frames": [errors.EDIT_FRAMES_NEED_TWO_TEXTS]})
        else:
            attrs.setdefault("n", 1)
        return attrs


INPUT_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "place": PlaceInputsSerializer,
    "ground": GroundInputsSerializer,
    "edit": EditInputsSerializer,
    "compose": ComposeInputsSerializer,
}


class JobCreateSerializer(StrictSerializer):
    kind = serializers.CharField()
    inputs = serializers.DictField()
    seed = StrictIntegerField(
        min_value=0, max_value=SEED_MAX, range_message=errors.SEED_RANGE.format(max=SEED_MAX), required=False
    )

    def validate_kind(self, value: str) -> str:
        if value not in INPUT_SERIALIZERS:
            raise serializers.ValidationError(errors.KIND_UNKNOWN.format(kind=value, kinds=", ".join(INPUT_SERIALIZERS)))
        return value

    def validate(self, attrs):
        inputs = INPUT_SERIALIZERS[attrs["kind"]](data=attrs["inputs"])
        if not inputs.is_valid():
            raise serializers.ValidationError({"inputs": inputs.errors})
        attrs["inputs"] = inputs.validated_data
        if "base" in attrs["inputs"] and "seed" in attrs:
            base_seed = Artwork.objects.get(pk=attrs["inputs"]["base"]["artwork"]).seed
            if attrs["seed"] != base_seed:  # the kept steps were painted with it
                raise serializers.ValidationError({"seed": [errors.COMPOSE_BASE_SEED.format(seed=base_seed)]})
        return attrs


VARIATIONS_MAX = 8


class VariationsSerializer(StrictSerializer):
    count = StrictIntegerField(
        min_value=1, max_value=VARIATIONS_MAX, range_message=errors.VARIATIONS_COUNT_RANGE.format(max=VARIATIONS_MAX),
        required=False, default=4,
    )
