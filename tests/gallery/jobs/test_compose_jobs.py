"""Composed scenes painted by the tiny real compose model on this process: every step and layer
stored, the layer list in the PNG, one artwork however often a job runs; and a change of one
object, whose earlier steps come back byte-identical and which moves no pixel outside that
object's old and new masks."""
import io
import json

import numpy as np
import pytest
from PIL import Image

from gallery.jobs import errors
from gallery.jobs import services as job_services
from gallery.models import Artwork, ComposeStep
from gallery.services import PROVENANCE_KEY
from generation.models import Job
from generation.services import compose as compose_service
from tests.gallery.factories import job_pk

OBJECTS = [
    {"category": "house", "box": [0.1, 0.3, 0.5, 0.8], "shape": "rect", "colour": [200, 40, 30]},
    {"category": "tree", "box": [0.45, 0.2, 0.75, 0.7], "shape": "mask", "colour": None},
    {"category": "boat", "box": [0.3, 0.6, 0.9, 0.95], "shape": "ellipse", "colour": None},
]


def post(client, body):
    return client.post("/api/jobs/", data=json.dumps(body), content_type="application/json")


def run(job_id: int) -> Job:
    job_services.job_run(job_id=job_id)
    job = Job.objects.select_related("artwork").get(pk=job_id)
    assert job.status == "done", job.error
    return job


def compose(client, objects=OBJECTS, seed=11, **inputs) -> Artwork:
    response = post(client, {"kind": "compose", "seed": seed,
                             "inputs": {"background": {"lat": 43.2965, "lon": 5.3698}, "objects": objects, **inputs}})
    assert response.status_code == 202, response.json()
    return run(job_pk(response.json()["id"])).artwork


def change(client, base: Artwork, index: int, objects: list) -> Artwork:
    response = post(client, {"kind": "compose", "inputs": {"base": {"artwork": base.pk, "object": index},
                                                           "objects": objects}})
    assert response.status_code == 202, response.json()
    return run(job_pk(response.json()["id"])).artwork


def files(artwork: Artwork, field: str) -> list[bytes]:
    return [getattr(step, field).read() if getattr(step, field) else b"" for step in artwork.compose_steps.order_by("index")]


def pixels(data: bytes, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode))


@pytest.fixture
def scene(client, compose_model, enqueued) -> Artwork:
    return compose(client)


def test_a_scene_stores_every_step_and_layer_as_the_pipeline_paints_them(scene, compose_model):
    from generation.pipeline_cache import pipeline_for

    steps = list(scene.compose_steps.order_by("index"))
    assert [step.index for step in steps] == [0, 1, 2, 3]
    assert [step.object for step in steps] == [None, *OBJECTS] and not steps[0].layer
    expected_steps, expected_layers = pipeline_for(compose_model).compose_layers(
        {"lat": 43.2965, "lon": 5.3698}, OBJECTS, 11)
    assert [pixels(data).tolist() for data in files(scene, "image")] == [np.asarray(s).tolist() for s in expected_steps]
    layers = [pixels(data, "RGBA") for data in files(scene, "layer")[1:]]
    assert [layer.tolist() for layer in layers] == [np.asarray(layer.convert("RGBA")).tolist() for layer in expected_layers]
    with scene.image.open("rb") as handle:  # the artwork is the last step, with the layer list inside
        image = Image.open(io.BytesIO(handle.read()))
    assert np.array_equal(np.asarray(image.convert("RGB")), pixels(files(scene, "image")[-1]))
    provenance = json.loads(image.text[PROVENANCE_KEY])
    assert [{key: layer[key] for key in ("step", "category", "box", "shape", "colour")} for layer in provenance["layers"]] \
        == [{"step": index + 1, **item} for index, item in enumerate(OBJECTS)]
    assert provenance["inputs"]["objects"] == OBJECTS and scene.lat == 43.2965


def test_the_job_says_which_object_it_is_adding(client, compose_model, enqueued, monkeypatch):
    stages = []

    class Recorded(compose_service.ProgressWriter):
        def __call__(self, fraction, stage=None):
            super().__call__(fraction, stage)
            if stage:
                stages.append((stage, Job.objects.get(pk=self.job_ids[0]).stage))

    monkeypatch.setattr(compose_service, "ProgressWriter", Recorded)
    compose(client)
    assert [written for _, written in stages] == [
        "painting the background", "adding object 1 of 3: house", "adding object 2 of 3: tree",
        "adding object 3 of 3: boat"]


def test_a_job_run_twice_makes_one_artwork_with_one_set_of_steps(client, compose_model, enqueued):
    response = post(client, {"kind": "compose", "seed": 3, "inputs": {"background": {"lat": 10.0, "lon": 20.0},
                                                                      "objects": OBJECTS[:2]}})
    job_id = job_pk(response.json()["id"])
    first = run(job_id).artwork
    Job.objects.filter(pk=job_id).update(status=Job.Status.QUEUED)  # the message delivered again
    assert run(job_id).artwork == first
    assert Artwork.objects.count() == 1 and ComposeStep.objects.count() == 3


def outside(mask: np.ndarray) -> np.ndarray:
    return ~mask[..., None].repeat(3, axis=2)


def test_moving_one_object_keeps_earlier_steps_and_every_pixel_outside_its_masks(client, scene):
    moved = [dict(item) for item in OBJECTS]
    moved[1]["box"] = [0.2, 0.1, 0.5, 0.6]
    changed = change(client, scene, 1, moved)
    assert changed.parent == scene and changed.seed == scene.seed and changed.inputs["objects"] == moved
    before, after = files(scene, "image"), files(changed, "image")
    assert after[:2] == before[:2]  # x0 and x1: the very same bytes
    old_mask = pixels(files(scene, "layer")[2], "RGBA")[..., 3] > 0
    new_mask = pixels(files(changed, "layer")[2], "RGBA")[..., 3] > 0
    assert not np.array_equal(old_mask, new_mask)
    keep = outside(old_mask | new_mask)
    for old, new in zip(before[2:], after[2:]):
        assert np.array_equal(pixels(old)[keep], pixels(new)[keep])
    assert files(changed, "layer")[3] == files(scene, "layer")[3]  # the boat is applied again, not repainted
    # A change of a change: the steps before it are still the first scene's.
    recoloured = [dict(item) for item in moved]
    recoloured[2]["colour"] = [20, 20, 220]
    again = change(client, changed, 2, recoloured)
    assert files(again, "image")[:3] == after[:3]


def test_deleting_one_object_moves_nothing_outside_its_mask(client, scene):
    changed = change(client, scene, 0, OBJECTS[1:])
    before, after = files(scene, "image"), files(changed, "image")
    assert len(after) == 3 and after[0] == before[0]
    old_mask = pixels(files(scene, "layer")[1], "RGBA")[..., 3] > 0
    assert np.array_equal(pixels(after[-1])[outside(old_mask)], pixels(before[-1])[outside(old_mask)])
    assert files(changed, "layer")[1:] == files(scene, "layer")[2:]


def test_a_composed_artwork_regenerates_to_the_same_bytes_and_varies_as_a_whole_scene(client, scene, enqueued):
    moved = [dict(item) for item in OBJECTS]
    moved[2]["shape"] = "rect"
    changed = change(client, scene, 2, moved)
    response = client.post(f"/api/artworks/{changed.pk}/regenerate/")
    job = run(job_pk(response.json()["job"]["id"]))
    assert job.verification["identical"] is True
    response = client.post(f"/api/artworks/{changed.pk}/variations/", data={"count": 1}, content_type="application/json")
    variation = Job.objects.get(public_id=response.json()["jobs"][0]["id"])
    assert "base" not in variation.inputs and variation.inputs["objects"] == moved and variation.parent == changed


@pytest.mark.parametrize("make, path, message", [
    (lambda scene: {"base": {"artwork": scene.pk, "object": 3}, "objects": OBJECTS},
     ["base", "object"], errors.COMPOSE_BASE_OBJECT_RANGE.format(count=3, last=2)),
    (lambda scene: {"base": {"artwork": scene.pk, "object": 1}, "objects": OBJECTS},
     ["base", "object"], errors.COMPOSE_BASE_UNCHANGED.format(index=1)),
    (lambda scene: {"base": {"artwork": scene.pk, "object": 1},
                    "objects": [OBJECTS[0], {**OBJECTS[1], "shape": "rect"}, {**OBJECTS[2], "colour": [1, 1, 1]}]},
     ["objects"], errors.COMPOSE_BASE_OTHERS_CHANGED.format(index=1)),
    (lambda scene: {"base": {"artwork": scene.pk, "object": 1}, "objects": OBJECTS[:1]},
     ["objects"], errors.COMPOSE_BASE_OTHERS_CHANGED.format(index=1)),
    (lambda scene: {"base": {"artwork": scene.pk, "object": 0}, "objects": OBJECTS[1:],
                    "background": {"lat": 1.0, "lon": 1.0}},
     ["background"], errors.COMPOSE_BASE_BACKGROUND),
    (lambda scene: {"base": {"artwork": scene.parent_id or 999999, "object": 0}, "objects": OBJECTS[1:]},
     ["base", "artwork"], "No artwork has the id 999999."),
    (lambda scene: {"base": {"artwork": scene.pk, "object": "1"}, "objects": OBJECTS[1:]},
     ["base", "object"], "Must be an integer, not a string."),
])
def test_a_bad_change_is_a_400_naming_the_field_and_nothing_is_written(client, scene, make, path, message):
    jobs = Job.objects.count()
    response = post(client, {"kind": "compose", "inputs": make(scene)})
    assert response.status_code == 400, response.json()
    found = response.json()["inputs"]
    for key in path:
        found = found[key]
    assert found == [message]
    assert Job.objects.count() == jobs and Artwork.objects.count() == 1


def test_a_change_keeps_its_bases_seed_and_needs_a_composed_base(client, scene, place_model):
    moved = [dict(item) for item in OBJECTS]
    moved[0]["box"] = [0.1, 0.3, 0.45, 0.8]
    response = post(client, {"kind": "compose", "seed": scene.seed + 1,
                             "inputs": {"base": {"artwork": scene.pk, "object": 0}, "objects": moved}})
    assert response.status_code == 400 and response.json()["seed"] == [errors.COMPOSE_BASE_SEED.format(seed=scene.seed)]
    place = post(client, {"kind": "place", "inputs": {"lat": 1.0, "lon": 2.0}})
    picture = run(job_pk(place.json()["id"])).artwork
    response = post(client, {"kind": "compose", "inputs": {"base": {"artwork": picture.pk, "object": 0}, "objects": []}})
    assert response.json()["inputs"]["base"]["artwork"] == [
        errors.COMPOSE_BASE_NOT_COMPOSED.format(artwork_id=picture.pk, kind="place")]


def test_the_artwork_api_and_page_show_the_steps_and_layers(client, scene):
    body = client.get(f"/api/artworks/{scene.pk}/").json()
    assert [step["index"] for step in body["steps"]] == [0, 1, 2, 3] and body["steps"][0]["layer"] is None
    assert [step["object"] for step in body["steps"][1:]] == OBJECTS and body["steps"][3]["layer"].endswith(".png")
    page = client.get(scene.get_absolute_url()).content.decode()
    assert page.count('class="picture" src="/media/compose/steps/') == 4 and "Change one object" in page
    assert 'id="composer-data"' in page and '"base": %d' % scene.pk in page
