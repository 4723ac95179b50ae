"""Property-based test of every write endpoint of the API (found in the URL conf): whatever a client
sends (any JSON value, huge integers, deep nesting, bytes that are not UTF-8, any content type),
the answer is never a server error, and a refusal (4xx) changes no row of any model.

Bounded and reproducible: Hypothesis is derandomized (the same examples on every run) and each
endpoint gets `EXAMPLES` of them; every example runs in a savepoint rolled back afterwards, so
each starts from the same rows.
"""
import json

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.drainage import get_override
from drf_spectacular.utils import PolymorphicProxySerializer
from hypothesis import HealthCheck, given, settings, strategies as st
from rest_framework import serializers

from config.api import ConstantField, StrictSerializer
from gallery.jobs.compose_inputs import OBJECTS_MAX, BoxField, ColourField, ComposeObjectSerializer, ComposeObjectsField
from gallery.jobs.inputs import INPUT_SERIALIZERS, JOB_REQUEST_SERIALIZERS
from tests.conftest import TINY_COMPOSE
from tests.gallery.curation.conftest import exhibition_build
from tests.gallery.factories import artwork_compose, artwork_paint

EXAMPLES = 30
WRITE_METHODS = ("post", "put", "patch", "delete")


def _api_routes(resolver: URLResolver = None, prefix: str = ""):
    """(namespaced URL name, argument names, view class) of each named route under the api namespace."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _api_routes(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and prefix == "api:":
            view = getattr(pattern.callback, "view_class", None)
            if view is not None:
                yield f"api:{pattern.name}", list(pattern.pattern.converters), view


WRITE_OPERATIONS = sorted(
    (method.upper(), name, tuple(arguments))
    for name, arguments, view in _api_routes()
    for method in WRITE_METHODS if hasattr(view, method)
)
VIEWS = {name: view for name, _, view in _api_routes()}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# The names the API reads, so that generated objects reach the validation of each field, not
# only the refusal of unknown ones.
FIELD_NAMES = sorted({name for serializer in _subclasses(StrictSerializer) for name in serializer().fields}
                     | {"type", "coordinates"})
WORDS = st.sampled_from(FIELD_NAMES + list(INPUT_SERIALIZERS) + TINY_COMPOSE["categories"] + ["Polygon", ""])

text = st.text(max_size=20) | st.text(st.characters(categories=["Cs", "Cc", "Zs"]), max_size=5) | WORDS
# Past int64 and past what a float holds (10^309 is not a float): where integers break code.
huge_integers = st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**309, -(10**309), 10**400])
numbers = st.integers() | huge_integers | st.floats(allow_nan=True, allow_infinity=True)
positions = st.lists(st.lists(st.lists(numbers, min_size=2, max_size=3), min_size=1, max_size=6), min_size=1, max_size=2)
polygons = st.fixed_dictionaries({"type": st.just("Polygon"), "coordinates": positions})
leaves = st.none() | st.booleans() | numbers | text
json_values = st.recursive(
    leaves | polygons,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(WORDS | text, children, max_size=5),
    max_leaves=12,
)
objects = st.dictionaries(WORDS, json_values, max_size=5)


def shaped(serializer) -> st.SearchStrategy:
    """Objects with some of the serializer's fields (nested ones shaped alike), each holding a fitting
    value or anything at all: these reach the checks of every field."""
    if isinstance(serializer, PolymorphicProxySerializer):
        return st.one_of([shaped(variant) for variant in serializer.serializers.values()])
    fields = {name: _field_values(field)
              for name, field in (serializer() if isinstance(serializer, type) else serializer).fields.items()}
    return st.fixed_dictionaries(fields) | st.fixed_dictionaries({}, optional=fields)


def _field_values(field) -> st.SearchStrategy:
    if isinstance(field, serializers.Serializer):
        return shaped(type(field)) | shaped(type(field)) | json_values
    if isinstance(field, ConstantField):
        return st.just(field.value) | st.just(field.value) | json_values
    if isinstance(field, ComposeObjectsField):
        return st.lists(shaped(ComposeObjectSerializer), max_size=OBJECTS_MAX + 1) | json_values
    if isinstance(field, (BoxField, ColourField)):  # lists of the right length, of numbers in range or not
        size = 4 if isinstance(field, BoxField) else 3
        return st.lists(st.floats(0, 1) | st.integers(0, 255) | numbers, min_size=size, max_size=size) | json_values
    return huge_integers | numbers | json_values


def _encoded(values: st.SearchStrategy) -> st.SearchStrategy:
    """JSON texts of the values, sometimes with lone surrogates written as raw bytes (CESU-8: not UTF-8)."""
    return st.builds(lambda value, ascii: json.dumps(value, ensure_ascii=ascii).encode("utf-8", "surrogatepass"),
                     values, st.booleans())


def json_bodies(request_serializer=None) -> st.SearchStrategy:
    """Half of them shaped like the endpoint's request, when it documents one."""
    values = objects | json_values
    if request_serializer is not None:
        values = shaped(request_serializer) | shaped(request_serializer) | values
    return _encoded(values)


@st.composite
def corrupted_bodies(draw) -> bytes:
    """A JSON object with bytes that are not UTF-8 put in at some place."""
    body = draw(_encoded(objects))
    at = draw(st.integers(0, len(body)))
    return body[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\x00"])) + body[at:]


@st.composite
def deep_bodies(draw) -> bytes:
    """Arrays or objects nested thousands of levels deep (within the body size limit)."""
    depth = draw(st.integers(30, 12_000))
    if draw(st.booleans()):
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"inputs":' * depth + b"1" + b"}" * depth


big_number_bodies = st.builds(
    lambda name, digits, exponent: f'{{"{name}": 1{"0" * digits}{exponent}}}'.encode(),
    WORDS, st.integers(300, 5000), st.sampled_from(["", "e999999", ".5e-999999"]),
)


def bodies(view, method: str) -> st.SearchStrategy:
    """What is sent: mostly JSON shaped like the request the endpoint documents, then anything else."""
    request_serializer = get_override(getattr(view, method.lower()), "request")
    json = json_bodies(request_serializer)
    return json | json | json | corrupted_bodies() | deep_bodies() | big_number_bodies | st.binary(max_size=64)


OTHER_CONTENT_TYPES = [
    "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=fuzz", "application/xml", "",
]
# Mostly JSON, so that most bodies get past the parser to the fields.
content_types = st.one_of(*[st.just("application/json")] * len(OTHER_CONTENT_TYPES), st.sampled_from(OTHER_CONTENT_TYPES))


@pytest.fixture
def world(client, place_model, ground_model, edit_model, compose_model, cities, enqueued):
    """Something for every URL argument to point at, every kind's model active, a composed artwork
    (a small id, which generated integers name often) for a change to start from, and a curator
    logged in (who may write everywhere)."""
    from django.contrib.auth import get_user_model

    from gallery.jobs import services
    from tests.gallery.curation.conftest import curators_group

    artwork = artwork_paint(seed=1, city=cities["Oxford"])
    artwork_compose(seed=2, background={"city": cities["Oxford"].pk}, objects=[
        {"category": TINY_COMPOSE["categories"][0], "box": [0.1, 0.2, 0.5, 0.6], "shape": "mask", "colour": None}])
    curator = get_user_model().objects.create_user("fuzz", "fuzz@example.org", "a-long-pass-phrase")
    curator.groups.add(curators_group())
    exhibition = exhibition_build(user=curator, slug="fuzz", artworks=[artwork], published=False)
    job = services.job_create(kind="place", inputs={"lat": 10.0, "lon": 10.0}, seed=3, session_key="", user=curator).job
    client.force_login(curator)
    client.raise_request_exception = False
    return {"artwork_id": artwork.pk, "job_id": str(job.public_id), "slug": exhibition.slug,
            "item_id": exhibition.items.get().pk}


def _rows() -> dict:
    """Every row of every model, to tell whether a request wrote anything."""
    return {model._meta.label: list(model._base_manager.order_by("pk").values_list()) for model in apps.get_models()}


def test_every_write_endpoint_is_fuzzed():
    """The URL conf is where the endpoints come from: this list only grows with the API."""
    names = {name for _, name, _ in WRITE_OPERATIONS}
    assert {"api:job-create", "api:artwork-variations", "api:exhibition-list", "api:exhibition-order"} <= names
    assert len(WRITE_OPERATIONS) >= 17


@pytest.mark.parametrize("method, name, arguments", WRITE_OPERATIONS, ids=[f"{m} {n}" for m, n, _ in WRITE_OPERATIONS])
def test_a_write_endpoint_never_fails_on_bad_input_and_refuses_without_writing(client, world, method, name, arguments):
    url = reverse(name, kwargs={argument: world[argument] for argument in arguments})
    _fuzz(client, method, url, bodies(VIEWS[name], method))


@pytest.mark.parametrize("kind", JOB_REQUEST_SERIALIZERS)
def test_a_job_request_of_each_kind_never_fails_on_bad_values_and_refuses_without_writing(client, world, kind):
    """Every field of the kind's request present, each holding anything: the checks of each input
    are reached far more often than by bodies shaped like any kind."""
    _fuzz(client, "POST", reverse("api:job-create"), _encoded(shaped(JOB_REQUEST_SERIALIZERS[kind])))


def _fuzz(client, method: str, url: str, body_strategy: st.SearchStrategy) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=body_strategy, content_type=content_types)
    def check(body: bytes, content_type: str):
        cache.clear()  # the rate limit counts requests; each example is a fresh visitor's first
        with transaction.atomic():  # the example's writes are undone; what it saw is checked after
            before = _rows()
            response = client.generic(method, url, data=body, content_type=content_type)
            after = _rows()
            transaction.set_rollback(True)
        answer = response.content[:300]
        if response.content:
            assert response["Content-Type"] == "application/json", (response.status_code, answer)
        # Every kind's model is active (`world`), so not even the documented 503 "no active model" is right.
        assert response.status_code < 500, (response.status_code, answer)
        if 400 <= response.status_code < 500:
            assert after == before, (response.status_code, answer)

    check()
