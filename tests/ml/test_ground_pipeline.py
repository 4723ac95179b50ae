"""The ground pipeline: a spot's view and land use, independent of what else is in the batch."""
import numpy as np
import pytest

from ml.pipelines import GroundPipeline, load


def test_views_do_not_depend_on_the_batch_and_read_a_land_use(tiny_ground_folder, no_unpickling):
    pipeline = load(tiny_ground_folder)
    assert isinstance(pipeline, GroundPipeline) and pipeline.kind == "ground"
    spots = [{"lat": 48.85, "lon": 2.35}, {"lat": 35.68, "lon": 139.7}, {"lat": -3.1, "lon": -60.0}]
    together = pipeline.views(spots, [1, 2, 3])
    alone = pipeline.views(spots[1:2], [2])[0]
    assert np.array_equal(np.asarray(together[1].image), np.asarray(alone.image))
    assert together[1].land_use_probabilities == alone.land_use_probabilities
    assert alone.land_use in ("village", "town", "city", "megacity")
    assert sum(alone.land_use_probabilities.values()) == pytest.approx(1, abs=1e-3)
    assert [image.size for image in pipeline.generate(spots, [1, 2, 3])] == [(16, 16)] * 3


def test_bad_inputs_are_refused(tiny_ground_folder):
    pipeline = load(tiny_ground_folder)
    with pytest.raises(ValueError, match="off the globe"):
        pipeline.views([{"lat": 95, "lon": 0}], [0])
    with pytest.raises(ValueError, match="seeds"):
        pipeline.views([{"lat": 0, "lon": 0}], [])
