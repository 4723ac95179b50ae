"""The OpenAPI schema tells the truth: Schemathesis reads /api/schema/ from a live test server and
sends what it describes (and what it does not) to every operation. No answer is a server error,
every answer matches its documented schema, and a request that the schema allows for
`POST /api/jobs/` and `GET /api/artworks/map/` is accepted, so that a client generated from the
schema sends valid requests.

What JSON Schema cannot say is made true of each request before it is sent (`bind`): an id names
a row that exists, a point or region lies on land, a bbox's south is not above its north, and
created_to is not before created_from. The schema's descriptions say so to a client's author.
"""
import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_schema_conformance

from gallery.jobs.apis import JobThrottle
from gallery.jobs.inputs import INPUT_SERIALIZERS, JOB_REQUEST_SERIALIZERS
from tests.gallery.factories import artwork_paint

EXAMPLES = 10  # per operation (Schemathesis adds its boundary cases); derandomized, so the same each run
ACCEPTS_WHAT_ITS_SCHEMA_ALLOWS = {("POST", "/api/jobs/"), ("GET", "/api/artworks/map/")}


@pytest.fixture
def world(live_server, place_model, ground_model, edit_model, cities, enqueued, monkeypatch):
    """Rows for ids to name, every kind's model active, and no rate limit (a client of the schema
    sends more than a visitor's share a minute)."""
    monkeypatch.setattr(JobThrottle, "THROTTLE_RATES", {"jobs": "1000000/minute"})
    oxford = cities["Oxford"]
    return {"city": oxford.pk, "artwork": artwork_paint(seed=1, city=oxford).pk, "model_version": place_model.pk,
            "point": {"lat": oxford.lat, "lon": oxford.lon}, "region": _square(oxford.lon, oxford.lat, 0.05),
            "url": live_server.url}


def _square(lon: float, lat: float, half: float) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"type": "Polygon", "coordinates": [ring + ring[:1]]}


def _schema() -> dict:
    """The schema /api/schema/ serves (drf-spectacular's generator), as JSON would carry it."""
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


# Loaded at collection so that each operation is a test of its own; the live server serves the same
# schema (checked below), and every request goes to it.
schema = schemathesis.openapi.from_dict(_schema())


def test_the_live_server_serves_the_schema_that_is_fuzzed(live_server, db):
    served = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=30).json()
    assert served == _schema()


def bind(case, world: dict) -> None:
    """Make true of a generated request what its schema cannot express (see the module's docstring)."""
    body, query = case.body, case.query
    if case.path == "/api/jobs/" and isinstance(body, dict) and isinstance(body.get("inputs"), dict):
        inputs = body["inputs"]
        for name in ("city", "artwork", "point", "region"):
            if name in inputs:
                inputs[name] = world[name]
    if case.path == "/api/artworks/map/" and isinstance(query, dict):
        for name in ("city", "model_version"):
            if name in query:
                query[name] = world[name]
        bbox = str(query.get("bbox", "")).split(",")
        if len(bbox) == 4:
            west, south, east, north = bbox
            if _number(south) > _number(north):
                query["bbox"] = ",".join([west, north, east, south])
        dates = [query.get("created_from"), query.get("created_to")]
        if all(isinstance(date, str) for date in dates):
            query["created_from"], query["created_to"] = sorted(dates)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def test_the_schema_has_one_job_request_per_kind(client, db):
    """Each registered kind has its variant, discriminated by `kind`, and its inputs described."""
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    request = components["JobRequest"]
    assert request["discriminator"]["propertyName"] == "kind"
    assert set(request["discriminator"]["mapping"]) == set(INPUT_SERIALIZERS) == set(JOB_REQUEST_SERIALIZERS)
    place = components["PlaceInputs"]["oneOf"]
    assert [form["required"] for form in place] == [["lat", "lon"], ["city"]]
    assert all(form["additionalProperties"] is False for form in place)
    assert components["PlaceJobRequest"]["properties"]["seed"]["maximum"] == 2**63 - 1


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case, world):
    bind(case, world)
    checks = [not_a_server_error, response_schema_conformance]
    if (case.method.upper(), case.path) in ACCEPTS_WHAT_ITS_SCHEMA_ALLOWS:
        checks.append(positive_data_acceptance)
    case.call_and_validate(base_url=world["url"], checks=checks)
