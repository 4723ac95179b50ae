"""Ground jobs: a drawn region or a point through POST /api/jobs/, run into a Region of views."""
import json

import pytest

from config import api
from gallery.jobs import errors
from gallery.jobs import services as job_services
from gallery.models import Artwork, Region
from generation import errors as generation_errors
from generation.models import Job
from generation.services import jobs as generation_jobs

from tests.gallery.factories import job_pk
from tests.generation.test_regions import FIJI, PARIS, polygon


def post(client, inputs, seed=5):
    body = {"kind": "ground", "inputs": inputs, "seed": seed}
    return client.post("/api/jobs/", data=json.dumps(body), content_type="application/json")


def test_a_region_request_stores_the_spots_to_paint(client, ground_model, enqueued,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"region": PARIS})
    assert response.status_code == 202, response.json()
    job = Job.objects.get()
    assert job.inputs["region"] == PARIS and len(job.inputs["spots"]) == 4 and job.inputs["area_km2"] > 350
    assert enqueued == [job.pk]


def test_a_point_request_paints_one_spot(client, ground_model, enqueued):
    response = post(client, {"point": {"lat": 48.85, "lon": 2.35}})
    assert response.status_code == 202
    assert Job.objects.get().inputs == {"point": {"lat": 48.85, "lon": 2.35}, "spots": [{"lat": 48.85, "lon": 2.35}]}


def messages(errors_found) -> list[str]:
    if isinstance(errors_found, dict):
        return [text for value in errors_found.values() for text in messages(value)]
    return list(errors_found)


@pytest.mark.parametrize("inputs, field, message", [
    ({"region": polygon((0, 0), (1, 1), (1, 0), (0, 1))}, "region", "edges must not cross"),
    ({"region": polygon((2.2, 48.8), (2.5, 48.8), (2.2, 48.8))}, "region", generation_errors.REGION_TOO_FEW_VERTICES),
    ({"region": polygon((2.2, 48.8), (2.5, 48.8), (2.5, 95))}, "region", "out of range"),
    ({"region": polygon((-20, -40), (60, -40), (60, 40), (-20, 40))}, "region", "draw a smaller one"),
    ({"region": polygon((2.2, 48.8), (2.2001, 48.8), (2.2001, 48.8001))}, "region", "draw a larger one"),
    ({"region": polygon((-150, 0), (-149, 0), (-149, 1), (-150, 1))}, "region", generation_errors.REGION_OVER_SEA),
    ({"region": {"type": "Polygon", "coordinates": "nope"}}, "region", "not a GeoJSON Polygon"),
    ({"region": {"type": "Polygon", "coordinates": [[[2 + i / 1e3, 48 + i % 2 / 1e3] for i in range(600)]]}},
     "region", "at most 500"),
    ({"point": {"lat": 0, "lon": -150}}, "point", generation_errors.POINT_OVER_SEA),
    ({"point": {"lat": 100, "lon": 2}}, "point", errors.LAT_RANGE),
    ({"region": PARIS, "point": {"lat": 48.85, "lon": 2.35}}, "region", errors.GROUND_REGION_OR_POINT),
    ({}, "region", errors.GROUND_NEEDS_REGION),
    ({"polygon": PARIS}, "polygon", api.FIELD_UNKNOWN),
])
def test_bad_input_is_a_400_naming_the_problem_and_writes_nothing(client, ground_model, enqueued, inputs, field,
                                                                  message):
    response = post(client, inputs)
    assert response.status_code == 400
    assert any(message in text for text in messages(response.json()["inputs"][field]))
    assert not Job.objects.exists() and enqueued == []


@pytest.fixture
def run_here(enqueued):
    """These tests run jobs here, by calling the service."""


def test_a_region_job_paints_one_artwork_per_spot_grouped_under_a_region(client, ground_model, run_here,
                                                                         monkeypatch):
    seen = []
    original = generation_jobs.ProgressWriter.__call__
    monkeypatch.setattr(generation_jobs.ProgressWriter, "__call__",
                        lambda self, fraction: (seen.append(fraction), original(self, fraction)))
    job_id = post(client, {"region": PARIS}).json()["id"]
    job_services.job_run(job_id=job_pk(job_id))
    assert seen == [0.25, 0.5, 0.75, 1.0]  # progress per view
    job = Job.objects.get(public_id=job_id)
    region = Region.objects.get()
    assert (job.status, job.region, job.artwork) == ("done", region, region.artworks.order_by("pk").first())
    views = list(region.artworks.order_by("pk"))
    assert [(a.lat, a.lon) for a in views] == [(s["lat"], s["lon"]) for s in job.inputs["spots"]]
    assert [a.seed for a in views] == [5, 6, 7, 8] and {a.kind for a in views} == {"ground"}
    assert region.geometry == PARIS and region.land_use["land_use"] in ("village", "town", "city", "megacity")
    assert region.land_use["urban_rural"] in ("urban", "rural") and len(region.land_use["views"]) == 4
    body = client.get(f"/api/jobs/{job_id}/").json()
    listed = body["region"]["artworks"]
    assert [(a["lat"], a["lon"]) for a in listed] == [(a.lat, a.lon) for a in views]
    assert body["region"]["url"].endswith(f"/regions/{region.pk}/") and all(a["place"] for a in listed)


def test_running_a_region_job_twice_makes_one_region(client, ground_model, run_here):
    job_id = post(client, {"region": FIJI}).json()["id"]
    job_services.job_run(job_id=job_pk(job_id))
    Job.objects.filter(public_id=job_id).update(status=Job.Status.RUNNING)  # delivered again after a worker died
    job_services.job_run(job_id=job_pk(job_id))
    assert Region.objects.count() == 1
    assert Artwork.objects.count() == len(Job.objects.get(public_id=job_id).inputs["spots"])


def test_the_same_request_again_returns_the_painted_region(client, ground_model, run_here):
    first = post(client, {"point": {"lat": 48.85, "lon": 2.35}}).json()["id"]
    job_services.job_run(job_id=job_pk(first))
    Job.objects.filter(public_id=first).delete()
    again = post(client, {"point": {"lat": 48.85, "lon": 2.35}})
    assert again.status_code == 200
    assert again.json()["region"]["id"] == Region.objects.get().pk


def test_a_view_paints_again_to_the_same_bytes(client, ground_model, run_here):
    job_id = post(client, {"point": {"lat": 35.68, "lon": 139.7}}).json()["id"]
    job_services.job_run(job_id=job_pk(job_id))
    artwork = Artwork.objects.get()
    regeneration = job_services.artwork_regenerate(artwork=artwork)
    job_services.job_run(job_id=regeneration.pk)
    regeneration.refresh_from_db()
    assert regeneration.verification["identical"] is True


def test_the_region_page_shows_the_drawing_the_views_and_the_land_use(client, ground_model, run_here):
    job_id = post(client, {"region": PARIS}).json()["id"]
    job_services.job_run(job_id=job_pk(job_id))
    region = Region.objects.get()
    page = client.get(region.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="pin-number"') == 4 and region.land_use["urban_rural"] in text
    assert page.context["region_data"]["geometry"] == PARIS
    assert [v["lat"] for v in page.context["region_data"]["views"]] == [s["lat"] for s in region.spots]
    assert client.get("/regions/999/").status_code == 404
    view = client.get(region.artworks.first().get_absolute_url()).content.decode()
    assert f'href="/regions/{region.pk}/"' in view


def test_variations_of_a_view_paint_that_spot_again_with_new_seeds(client, ground_model, run_here):
    job_id = post(client, {"point": {"lat": 48.85, "lon": 2.35}}).json()["id"]
    job_services.job_run(job_id=job_pk(job_id))
    view = Artwork.objects.get()
    (variation,) = job_services.artwork_variations_create(artwork=view, count=1)
    assert variation.inputs == {"point": {"lat": 48.85, "lon": 2.35}, "spots": [{"lat": 48.85, "lon": 2.35}]}
    job_services.job_run(job_id=variation.pk)
    variation.refresh_from_db()
    assert variation.region != Job.objects.get(public_id=job_id).region
    assert variation.artwork.parent == view and variation.artwork.seed == variation.seed


def test_a_point_where_two_cities_share_their_coordinates_is_painted(client, ground_model, run_here, tied_cities):
    furano = next(group for group in tied_cities if {city.name for city in group} == {"Furano", "Shimo-furano"})
    response = post(client, {"point": {"lat": furano[0].lat, "lon": furano[0].lon}})
    assert response.status_code == 202, response.json()
    job_services.job_run(job_id=job_pk(response.json()["id"]))
    job = Job.objects.get(public_id=response.json()["id"])
    assert job.status == "done", job.error
    assert job.artwork.city.name == "Shimo-furano"  # 25,872 people against Furano's 21,131
