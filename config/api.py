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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

logger = logging.getLogger(__name__)

SERVER_ERROR = "Something went wrong on the server; it has been logged. Try again in a moment."
BODY_MISSING = "The request body is missing; send a JSON object."
BODY_NOT_JSON = "The request body is not valid JSON."
BODY_NOT_OBJECT = "The request body must be a JSON object."
BODY_TOO_LARGE = "The request body is larger than {limit} bytes."
FIELD_UNKNOWN = "Unknown field."
NUMBER_REQUIRED = "Must be a number, not {type}."
NUMBER_NOT_FINITE = "Must be a finite number."
INTEGER_REQUIRED = "Must be an integer, not {type}."


class BodyError(exceptions.ValidationError):
    def __init__(self, message: str):
        super().__init__({"body": [message]})


class StrictJSONParser(JSONParser):
    """Parses a JSON object of bounded size.

    NaN and Infinity literals become floats here so that field validation rejects them with
    the name of the field they were sent in, instead of one anonymous parse error. Bytes that
    are not UTF-8 become lone surrogates (as a JSON "\\udcxx" escape would) for the same reason.
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
        except (UnicodeDecodeError, ValueError) as error:
            raise BodyError(BODY_NOT_JSON) from error
        if not isinstance(data, dict):
            raise BodyError(BODY_NOT_OBJECT)
        return data


@extend_schema_field(OpenApiTypes.DOUBLE)
class StrictFloatField(serializers.Field):
    def __init__(self, *, min_value: float, max_value: float, range_message: str, **kwargs):
        super().__init__(**kwargs)
        self.min_value, self.max_value, self.range_message = min_value, max_value, range_message

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise serializers.ValidationError(NUMBER_REQUIRED.format(type=json_type(data)))
        if not math.isfinite(data):
            raise serializers.ValidationError(NUMBER_NOT_FINITE)
        if not self.min_value <= data <= self.max_value:
            raise serializers.ValidationError(self.range_message.format(value=data))
        return float(data)

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.INT64)
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
    if isinstance(value, float):
        return "a fraction" if math.isfinite(value) else "NaN or Infinity"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [FIELD_UNKNOWN] for name in unknown})
        return super().to_internal_value(data)


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
