"""Jobs painted while an upsampler is active: the artwork keeps the model's native picture beside
the enlarged one it shows, both PNGs carry the provenance of exactly what made them, a
regeneration compares the same bytes, and without an upsampler nothing changes."""
import io
import json

import pytest
from PIL import Image

from gallery.jobs import services as job_services
from gallery.models import Artwork
from gallery.services import PROVENANCE_KEY
from generation import services as generation_services
from generation.models import Job
from tests.conftest import write_tiny_upsample_model


@pytest.fixture(autouse=True)
def no_broker(enqueued):
    """These tests run jobs here, by calling the service."""


def picture(field) -> tuple[Image.Image, dict]:
    with field.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image, json.loads(image.text[PROVENANCE_KEY]) if PROVENANCE_KEY in image.text else None


def paint(kind="place", inputs=None, seed=11) -> Job:
    job = job_services.job_create(kind=kind, inputs=inputs or {"city": 3133880}, seed=seed).job
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job


def test_a_job_stores_the_native_picture_and_the_upsampled_one_it_shows(place_model, upsample_model, cities,
                                                                        tiny_place_model):
    from ml import pipelines

    artwork = paint().artwork
    assert (artwork.upsampler, artwork.upsampler_sha256) == (upsample_model, upsample_model.sha256)
    native, native_provenance = picture(artwork.native_image)
    shown, provenance = picture(artwork.image)
    thumbnail, _ = picture(artwork.thumbnail)
    assert native.size == (16, 16) and shown.size == (64, 64) and thumbnail.size == (64, 64)
    model = {"name": "tiny-place", "id": place_model.pk, "sha256": place_model.sha256}
    assert native_provenance["model"] == provenance["model"] == model
    assert "upsampler" not in native_provenance
    assert provenance["upsampler"] == {"name": "tiny-upsample", "id": upsample_model.pk, "sha256": upsample_model.sha256}
    # Each picture is exactly what its provenance makes.
    (again,) = pipelines.load(tiny_place_model).generate([provenance["inputs"]], [provenance["seed"]])
    assert again.tobytes() == native.convert("RGB").tobytes()
    (enlarged,) = pipelines.load(upsample_model.folder).upsample([again])
    assert enlarged.tobytes() == shown.convert("RGB").tobytes()


def test_without_an_upsampler_the_artwork_is_stored_as_before(place_model, cities):
    artwork = paint().artwork
    assert not artwork.native_image and artwork.upsampler is None and artwork.upsampler_sha256 == ""
    shown, provenance = picture(artwork.image)
    assert shown.size == (16, 16) and "upsampler" not in provenance
    assert artwork.native_picture == artwork.image


def test_the_upsampler_is_part_of_the_request(place_model, upsample_model, cities):
    upsampled = paint().artwork
    generation_services.model_version_deactivate(model_version=upsample_model)
    plain = paint().artwork  # the same inputs and seed, now without an upsampler: another picture
    assert plain.pk != upsampled.pk and not plain.native_image
    assert Job.objects.filter(upsampler=upsample_model).count() == 1


def test_a_regeneration_enlarges_with_the_artworks_upsampler_and_compares_the_same_bytes(
    place_model, upsample_model, cities, tmp_path
):
    artwork = paint().artwork
    other = generation_services.model_version_register(folder=write_tiny_upsample_model(tmp_path / "u", seed=1),
                                                       activate=True)
    job = job_services.artwork_regenerate(artwork=artwork)
    assert (job.upsampler, job.request_key) == (upsample_model, artwork.request_key)
    job_services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.verification["identical"] is True, job.verification
    assert Artwork.objects.count() == 1 and other.upsampled_jobs.count() == 0


def test_each_ground_view_is_enlarged(ground_model, upsample_model):
    job = paint(kind="ground", inputs={"point": {"lat": 48.85, "lon": 2.35}}, seed=3)
    (view,) = job.region.artworks.all()
    assert picture(view.native_image)[0].size == (16, 16) and picture(view.image)[0].size == (64, 64)
    assert view.upsampler_sha256 == upsample_model.sha256


def test_an_edit_starts_from_its_sources_native_picture(place_model, edit_model, upsample_model, cities,
                                                        tiny_edit_model):
    from ml import pipelines

    source = paint().artwork
    edited = paint(kind="edit", inputs={"artwork": source.pk, "text": "snowy and wintry"}).artwork
    native = picture(edited.native_image)[0]
    assert native.size == (16, 16) and picture(edited.image)[0].size == (64, 64)
    item = {"image": picture(source.native_image)[0].convert("RGB"), "text": "snowy and wintry"}
    (expected,) = pipelines.load(tiny_edit_model).generate([item], [11])
    assert native.convert("RGB").tobytes() == expected.tobytes()


def test_the_api_and_the_page_offer_the_native_picture(client, place_model, upsample_model, cities):
    artwork = paint().artwork
    body = client.get(f"/api/artworks/{artwork.pk}/").json()
    assert body["image"].endswith(artwork.image.url) and body["native_image"].endswith(artwork.native_image.url)
    assert body["upsampled"] is True
    assert body["upsampler"] == {"id": upsample_model.pk, "name": "tiny-upsample", "sha256": upsample_model.sha256}
    download = client.get(f"/artworks/{artwork.pk}/download/native/")
    assert download["Content-Disposition"].endswith('-native.png"')
    assert Image.open(io.BytesIO(b"".join(download.streaming_content))).size == (16, 16)
    page = client.get(artwork.get_absolute_url()).content.decode()
    assert '<img class="artwork-image picture upsampled"' in page
    assert "native\n        16x16 PNG" in page and upsample_model.sha256 in page
