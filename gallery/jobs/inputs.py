"""Validation of what a job asks for, one input serializer per generator kind: strict
(`config.api`), and a city or artwork asked for must be there.
"""
import unicodedata

from django.conf import settings
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from config.api import (
    OBJECT_REQUIRED, ConstantField, StrictFloatField, StrictIntegerField, StrictSerializer, json_type,
)
from gallery import errors as gallery_errors
from gallery.jobs import errors
from gallery.jobs.compose_inputs import ComposeInputsSerializer
from gallery.jobs.place_inputs import INT64_MAX, PlaceInputsSerializer
from gallery.selectors import artwork_get
from generation.regions import RegionError, point_check, region_parse

SEED_MAX = INT64_MAX


class GroundPointSerializer(StrictSerializer):
    lat = StrictFloatField(min_value=-90.0, max_value=90.0, range_message=errors.LAT_RANGE)
    lon = StrictFloatField(min_value=-180.0, max_value=180.0, range_message=errors.LON_RANGE)


_POSITION = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number", "minimum": -180, "maximum": 180},
             "description": "[lon, lat] in degrees (lat within [-90, 90])."}


@extend_schema_field({
    "type": "object",
    "description": (
        "A GeoJSON Polygon geometry: its outer ring (then any holes) of at least 3 distinct positions, "
        f"{settings.GROUND_REGION_MAX_VERTICES} in all at most, not crossing itself, of "
        f"{settings.GROUND_REGION_MIN_KM2:g} to {settings.GROUND_REGION_MAX_KM2:g} km², not entirely over the sea."
    ),
    "properties": {
        "type": {"type": "string", "enum": ["Polygon"]},
        "coordinates": {"type": "array", "minItems": 1, "items": {
            "type": "array", "minItems": 3, "maxItems": settings.GROUND_REGION_MAX_VERTICES + 1, "items": _POSITION,
        }},
    },
    "required": ["type", "coordinates"],
})
class RegionField(serializers.JSONField):
    """A drawn region as the client sent it; `GroundInputsSerializer` checks it."""


class GroundInputsSerializer(StrictSerializer):
    """A drawn region (GeoJSON Polygon geometry) or a dropped point on land; checked by `generation.regions`."""

    schema_forms = ((("region",), ()), (("point",), ()))

    region = RegionField(required=False)
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


_CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"


@extend_schema_field({
    "type": "string", "minLength": 1, "maxLength": EDIT_TEXT_MAX,
    "pattern": f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$",
    "description": f"1 to {EDIT_TEXT_MAX} characters, not only spaces, no control characters.",
})
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

    schema_forms = ((("artwork", "text"), ("n",)), (("artwork", "text", "text_to"), ("frames",)))

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


def _seed_field() -> StrictIntegerField:
    return StrictIntegerField(
        min_value=0, max_value=SEED_MAX, range_message=errors.SEED_RANGE.format(max=SEED_MAX), required=False
    )


def _job_request_serializer(kind: str, inputs_serializer: type[StrictSerializer]) -> type[StrictSerializer]:
    """{kind, inputs, seed} for one kind: what a request of that kind is validated with, and its
    variant in the API's schema."""
    attributes = {"__module__": __name__, "__doc__": f"A request for a {kind} picture.",
                  "kind": ConstantField(kind), "inputs": inputs_serializer(), "seed": _seed_field()}
    if hasattr(inputs_serializer, "validate_request"):  # a rule between the inputs and the seed
        attributes["validate"] = lambda self, attrs: inputs_serializer.validate_request(attrs)
    return type(f"{kind.capitalize()}JobRequestSerializer", (StrictSerializer,), attributes)


# One per registered kind: a kind added to INPUT_SERIALIZERS gets its variant here.
JOB_REQUEST_SERIALIZERS = {kind: _job_request_serializer(kind, inputs) for kind, inputs in INPUT_SERIALIZERS.items()}

JOB_REQUEST_SCHEMA = PolymorphicProxySerializer(
    component_name="JobRequest", serializers=JOB_REQUEST_SERIALIZERS, resource_type_field_name="kind",
)


class JobCreateSerializer(serializers.Serializer):
    """Validates a job request with the serializer of its kind (JOB_REQUEST_SERIALIZERS)."""

    def to_internal_value(self, data):
        if "kind" not in data:
            raise serializers.ValidationError({"kind": [serializers.Field.default_error_messages["required"]]})
        kind = data["kind"]
        if not isinstance(kind, str) or kind not in JOB_REQUEST_SERIALIZERS:
            raise serializers.ValidationError(
                {"kind": [errors.KIND_UNKNOWN.format(kind=kind, kinds=", ".join(JOB_REQUEST_SERIALIZERS))]})
        if "inputs" in data and not isinstance(data["inputs"], dict):
            raise serializers.ValidationError({"inputs": [OBJECT_REQUIRED.format(type=json_type(data["inputs"]))]})
        request = JOB_REQUEST_SERIALIZERS[kind](data=data)
        request.is_valid(raise_exception=True)
        return request.validated_data


VARIATIONS_MAX = 8


class VariationsSerializer(StrictSerializer):
    count = StrictIntegerField(
        min_value=1, max_value=VARIATIONS_MAX, range_message=errors.VARIATIONS_COUNT_RANGE.format(max=VARIATIONS_MAX),
        required=False, default=4,
    )
