"""API plumbing shared by the apps: a strict JSON parser, strict fields and serializers, and
errors that name their field.

Every 400 of the API is a JSON object mapping a field name (or "body" for the request as a
whole) to a list of messages, so a client can show the message next to what caused it.
Numbers are strict: a string, a boolean, NaN or Infinity is refused with the field's name,
never coerced. Unknown fields are refused too, so a typo does not pass unnoticed.
"""
import json
import logging
import math

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

logger = logging.getLogger(__name__)

SERVER_ERROR = "Something went wrong on the server; it has been logged. Try again in a moment."
BODY_MISSING = "The request body is missing; send a JSON object."
BODY_NOT_JSON = "The request body is not valid JSON."
BODY_NOT_OBJECT = "The request body must be a JSON object."
BODY_TOO_LARGE = "The request body is larger than {limit} bytes."
BODY_TOO_DEEP = "The request body is nested more than {limit} levels deep."
FIELD_UNKNOWN = "Unknown field."
NUMBER_REQUIRED = "Must be a number, not {type}."
NUMBER_NOT_FINITE = "Must be a finite number."
INTEGER_REQUIRED = "Must be an integer, not {type}."
OBJECT_REQUIRED = "Must be an object, not {type}."
BODY_MAX_DEPTH = 32  # the deepest body the API reads is a region's position: 6 levels


class BodyError(exceptions.ValidationError):
    def __init__(self, message: str):
        super().__init__({"body": [message]})


class StrictJSONParser(JSONParser):
    """Parses a JSON object of bounded size.

    NaN and Infinity literals become floats here so that field validation rejects them with
    the name of the field they were sent in, instead of one anonymous parse error. Bytes that
    are not UTF-8 become lone surrogates (as a JSON "\\udcxx" escape would) for the same reason.
    Nesting is bounded (`BODY_MAX_DEPTH`), so that no later walk of the data runs out of stack.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyError(BODY_TOO_LARGE.format(limit=limit))
        if not raw.strip():
            raise BodyError(BODY_MISSING)
        try:
            data = json.loads(raw.decode("utf-8", errors="surrogateescape"), parse_constant=float)
        except RecursionError:  # deeper than the interpreter's stack, far beyond BODY_MAX_DEPTH
            raise BodyError(BODY_TOO_DEEP.format(limit=BODY_MAX_DEPTH)) from None
        except (UnicodeDecodeError, ValueError) as error:
            raise BodyError(BODY_NOT_JSON) from error
        if not isinstance(data, dict):
            raise BodyError(BODY_NOT_OBJECT)
        if _depth(data) > BODY_MAX_DEPTH:
            raise BodyError(BODY_TOO_DEEP.format(limit=BODY_MAX_DEPTH))
        return data


def _depth(data) -> int:
    """How many levels of arrays and objects a parsed JSON value nests, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is not None:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer (UTF-8 text), except that a lone surrogate (bytes a client sent that were
    not UTF-8, echoed in an error such as the name of an unknown field) is written as a JSON
    "\\udcxx" escape instead of failing the response."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True


class StrictFloatField(serializers.Field):
    def __init__(self, *, min_value: float, max_value: float, range_message: str, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value, self.range_message = min_value, max_value, range_message

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise serializers.ValidationError(NUMBER_REQUIRED.format(type=json_type(data)))
        if isinstance(data, float) and not math.isfinite(data):
            raise serializers.ValidationError(NUMBER_NOT_FINITE)
        # Compared before any conversion: an integer too large for a float is merely out of range.
        if not self.min_value <= data <= self.max_value:
            raise serializers.ValidationError(self.range_message.format(value=data))
        return float(data)

    def to_representation(self, value):
        return value


class StrictIntegerField(serializers.Field):
    def __init__(self, *, min_value: int, max_value: int, range_message: str, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value, self.range_message = min_value, max_value, range_message

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(INTEGER_REQUIRED.format(type=json_type(data)))
        if not self.min_value <= data <= self.max_value:
            raise serializers.ValidationError(self.range_message.format(value=data))
        return data

    def to_representation(self, value):
        return value


def json_type(value) -> str:
    """What a JSON value is, in words, for a message that refuses it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a fraction" if math.isfinite(value) else "NaN or Infinity"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class ConstantField(serializers.Field):
    """A string that must be exactly `value`: the `kind` of one variant of a request."""

    def __init__(self, value: str, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def to_internal_value(self, data):
        if data != self.value:
            raise serializers.ValidationError(f"Must be {self.value!r}.")
        return data

    def to_representation(self, value):
        return value


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare."""

    # Where a serializer accepts its fields only in some combinations, its forms as (required
    # fields, optional fields) pairs: its schema is then one object per form.
    schema_forms: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [FIELD_UNKNOWN] for name in unknown})
        return super().to_internal_value(data)


class StrictFloatFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictFloatField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "number", "format": "double", "minimum": self.target.min_value, "maximum": self.target.max_value}


class StrictIntegerFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictIntegerField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "integer", "format": "int64", "minimum": self.target.min_value, "maximum": self.target.max_value}


class ConstantFieldSchema(OpenApiSerializerFieldExtension):
    target_class = ConstantField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "enum": [self.target.value]}


class StrictSerializerSchema(OpenApiSerializerExtension):
    """A strict serializer's schema says what it refuses: no other properties, and only its forms."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = {**auto_schema._map_basic_serializer(self.target, direction), "additionalProperties": False}
        if not self.target.schema_forms:
            return schema
        forms = [
            {"type": "object", "properties": {name: schema["properties"][name] for name in (*required, *optional)},
             "required": list(required), "additionalProperties": False}
            for required, optional in self.target.schema_forms
        ]
        return {"oneOf": forms, **({"description": schema["description"]} if "description" in schema else {})}


def exception_handler(exc, context):
    """DRF's handler, with a too-large upload and an unsupported media type named "body", and
    any other error a JSON 500 (logged with its traceback), never Django's HTML page."""
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Response({"body": [f"{exc.detail} Send application/json."]}, status=status.HTTP_400_BAD_REQUEST)
    # Imported here: rest_framework.views reads the API settings, which name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("API error in %s", context["view"].__class__.__name__, exc_info=exc)
        response = Response({"detail": SERVER_ERROR}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return response


def schema_canonical_paths(endpoints):
    """drf-spectacular hook: document each API path once, in its canonical slash-ended form."""
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]
