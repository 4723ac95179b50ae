import pytest

from generation import pipeline_cache
from generation.models import ModelVersion


def test_a_worker_loads_a_model_once_and_keeps_it_by_sha256(place_model):
    first = pipeline_cache.pipeline_for(place_model)
    again = pipeline_cache.pipeline_for(ModelVersion.objects.get(pk=place_model.pk))
    assert again is first
    assert first.sha256 == place_model.sha256


def test_weights_changed_on_disk_since_registration_are_refused(place_model, tmp_path):
    from tests.conftest import write_tiny_place_model

    ModelVersion.objects.filter(pk=place_model.pk).update(folder=str(write_tiny_place_model(tmp_path / "other", seed=9)))
    place_model.refresh_from_db()
    with pytest.raises(pipeline_cache.WeightsChangedError, match="register them again"):
        pipeline_cache.pipeline_for(place_model)


def test_a_ground_pipeline_takes_its_overhead_tiles_from_the_setting(ground_model, settings, tmp_path):
    import json

    from PIL import Image

    from generation import pipeline_cache

    Image.new("RGB", (32, 32), "red").save(tmp_path / "a.png")
    (tmp_path / "a.json").write_text(json.dumps({"west": 0, "south": 40, "east": 2, "north": 41}))
    settings.GROUND_OVERHEAD_TILES = f"images:{tmp_path}"
    pipeline_cache._pipelines.clear()
    (view,) = pipeline_cache.pipeline_for(ground_model).views([{"lat": 40.5, "lon": 1.0}], [0])
    assert view.overhead.getpixel((0, 0)) == (255, 0, 0)
