"""API plumbing shared by the apps: a strict JSON parser and errors that name their field.

Every 400 of the API is a JSON object mapping a field name (or "body" for the request as a
whole) to a list of messages, so a client can show the message next to what caused it.
"""
import json

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

BODY_MISSING = "The request body is missing; send a JSON object."
BODY_NOT_JSON = "The request body is not valid JSON."
BODY_NOT_OBJECT = "The request body must be a JSON object."
BODY_TOO_LARGE = "The request body is larger than {limit} bytes."


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


def exception_handler(exc, context):
    """DRF's handler, with a too-large upload and an unsupported media type named "body"."""
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return Response({"body": [f"{exc.detail} Send application/json."]}, status=status.HTTP_400_BAD_REQUEST)
    # Imported here: rest_framework.views reads the API settings, which name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


def schema_canonical_paths(endpoints):
    """drf-spectacular hook: document each API path once, in its canonical slash-ended form."""
    return [endpoint for endpoint in endpoints if endpoint[0].endswith("/")]
