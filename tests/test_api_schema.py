"""The OpenAPI schema tells the truth: Schemathesis reads /api/schema/ from a live test server and
sends what it describes (and what it does not) to every operation. No answer is a server error,
every answer matches its documented schema, and a request that the schema allows for
`POST /api/jobs/` and `GET /api/artworks/map/` is accepted, so that a client generated from the
schema sends valid requests.

What JSON Schema cannot say is made true of each request before it is sent (`bind`): an id names
a row that exists, a point or region lies on land, a bbox's south is not above its north, and
created_to is not before created_from; a composed object's category is one the active compose
model paints, its box is ordered, at least its minimum side and at most half the canvas; and a
change of one object of a composed artwork keeps the base's other objects, background and seed.
The schema's descriptions say so to a client's author.
"""
import json
import math

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_schema_conformance

from gallery.jobs.apis import JobThrottle
from gallery.jobs.compose_inputs import BOX_AREA_MAX, BOX_SIDE_MIN, OBJECTS_MAX, SHAPES, model_categories
from gallery.jobs.inputs import INPUT_SERIALIZERS, JOB_REQUEST_SERIALIZERS
from tests.gallery.factories import artwork_compose, artwork_paint

EXAMPLES = 10  # per operation (Schemathesis adds its boundary cases); derandomized, so the same each run
ACCEPTS_WHAT_ITS_SCHEMA_ALLOWS = {("POST", "/api/jobs/"), ("GET", "/api/artworks/map/")}


# The composed artwork whose objects a change request changes one of.
COMPOSED_OBJECTS = [
    {"category": "house", "box": [0.1234, 0.3456, 0.5678, 0.789], "shape": "rect", "colour": [200, 40, 30]},
    {"category": "tree", "box": [0.4321, 0.2109, 0.7654, 0.6543], "shape": "mask", "colour": None},
]


@pytest.fixture
def world(live_server, place_model, ground_model, edit_model, compose_model, cities, enqueued, monkeypatch):
    """Rows for ids to name, every kind's model active, and no rate limit (a client of the schema
    sends more than a visitor's share a minute)."""
    monkeypatch.setattr(JobThrottle, "THROTTLE_RATES", {"jobs": "1000000/minute"})
    oxford = cities["Oxford"]
    composed = artwork_compose(seed=5, background={"city": oxford.pk}, objects=COMPOSED_OBJECTS)
    return {"city": oxford.pk, "artwork": artwork_paint(seed=1, city=oxford).pk, "model_version": place_model.pk,
            "point": {"lat": oxford.lat, "lon": oxford.lon}, "region": _square(oxford.lon, oxford.lat, 0.05),
            "categories": model_categories(compose_model), "composed": composed, "url": live_server.url}


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
        if body.get("kind") == "compose":
            _bind_compose(body, world)
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


def _bind_compose(body: dict, world: dict) -> None:
    """A scene's objects painted by the active model in boxes it takes; a change of one object
    of the world's composed artwork, with every other object, the background and the seed its own."""
    inputs = body["inputs"]
    if isinstance(inputs.get("background"), dict) and "city" in inputs["background"]:
        inputs["background"]["city"] = world["city"]
    objects = inputs.get("objects")
    for item in objects if isinstance(objects, list) else []:
        if isinstance(item, dict):
            category, box = item.get("category"), item.get("box")
            if isinstance(category, str) and category not in world["categories"]:
                item["category"] = world["categories"][len(category) % len(world["categories"])]
            if isinstance(box, list) and len(box) == 4 and all(_is_number(value) for value in box):
                item["box"] = _box(box)
    base = inputs.get("base")
    if isinstance(base, dict) and _is_number(base.get("object")) and isinstance(objects, list):
        composed = world["composed"]
        before = composed.inputs["objects"]
        index = int(base["object"]) % len(before)
        inputs["base"] = {"artwork": composed.pk, "object": index}
        changed = objects[:1] if objects and _canonical(objects[0]) != before[index] else []  # else: deleted
        inputs["objects"] = before[:index] + changed + before[index + 1:]
        if "background" in inputs:
            inputs["background"] = {"city": world["city"]}
        if "seed" in body:
            body["seed"] = composed.seed


def _box(box: list) -> list:
    """The box with its corners ordered, then grown to the least side and cut to at most half the canvas."""
    side = BOX_SIDE_MIN + 0.01  # clear of the minimum once rounded
    x0, x1 = sorted(round(value, 4) for value in box[0::2])
    y0, y1 = sorted(round(value, 4) for value in box[1::2])
    x0, y0 = min(x0, 1 - side), min(y0, 1 - side)
    longest = BOX_AREA_MAX ** 0.5  # a square of half the canvas; rounding keeps within it
    x1 = round(min(max(x1, x0 + side), x0 + longest), 4)
    y1 = round(min(max(y1, y0 + side), y0 + longest), 4)
    return [x0, y0, x1, y1]


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _canonical(item) -> dict:
    return {"shape": "mask", "colour": None, **item} if isinstance(item, dict) else item


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


def test_a_job_request_has_a_required_body(client, db):
    """Every kind's request requires fields, so a client of the schema must send a body (none is a 400)."""
    operation = client.get("/api/schema/?format=json").json()["paths"]["/api/jobs/"]["post"]
    assert operation["requestBody"]["required"] is True
    assert client.post("/api/jobs/").status_code == 400


def test_the_schema_describes_a_composed_scene_and_a_change_of_one_object(client, db):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    scene, change = components["ComposeInputs"]["oneOf"]
    assert (scene["required"], sorted(scene["properties"])) == (["background"], ["background", "objects"])
    assert (change["required"], sorted(change["properties"])) == (["base", "objects"], ["background", "base", "objects"])
    objects = scene["properties"]["objects"]
    assert objects["maxItems"] == OBJECTS_MAX and objects["items"] == {"$ref": "#/components/schemas/ComposeObject"}
    item = components["ComposeObject"]
    assert (item["required"], item["additionalProperties"]) == (["box", "category"], False)
    assert item["properties"]["category"]["type"] == "string" and "active compose model" in item["properties"]["category"]["description"]
    box = item["properties"]["box"]
    assert (box["minItems"], box["maxItems"], box["items"]) == (4, 4, {"type": "number", "minimum": 0, "maximum": 1})
    assert "x1 > x0 and y1 > y0" in box["description"] and f"{BOX_AREA_MAX:g}" in box["description"]
    assert components["ShapeEnum"]["enum"] == list(SHAPES)
    colour = item["properties"]["colour"]
    assert colour["nullable"] and colour["items"] == {"type": "integer", "minimum": 0, "maximum": 255}
    assert colour["minItems"] == colour["maxItems"] == 3


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_schema_says(case, world):
    bind(case, world)
    checks = [not_a_server_error, response_schema_conformance]
    if (case.method.upper(), case.path) in ACCEPTS_WHAT_ITS_SCHEMA_ALLOWS:
        checks.append(positive_data_acceptance)
    case.call_and_validate(base_url=world["url"], checks=checks)
