"""Compose outputs of one sample: the background and the foreground added one object at a time.

Steps are developed photos (light, weather, particles and filter included), so the checks are
exact: a step changes no pixel outside its object's coverage, and the last step is the photo.
"""
import numpy as np
import pytest

from ml.data.geoscenes.places import place_of, select_cities
from ml.data.geoscenes.render import render_sample
from ml.data.geoscenes.steps import FOREGROUND


@pytest.fixture(scope="module")
def samples():
    places = [place_of(city) for city in select_cities(12)]
    rendered = [render_sample(place, 4, index, size, compose="steps")
                for place in places for index, size in ((0, 64), (1, 64), (2, 32), (3, 256))]
    return [sample for sample in rendered if sample.composition is not None]


def test_covers_nights_weathers_and_filters(samples):
    specs = [sample.spec for sample in samples]
    assert {"night", "day"} <= {spec.time_of_day for spec in specs}
    assert {"rain", "clear", "fog"} <= {spec.weather for spec in specs}
    assert len({spec.filter for spec in specs}) >= 4


def test_each_step_changes_only_what_its_object_covers(samples):
    for sample in samples:
        before = sample.composition.background
        for step in sample.composition.steps:
            outside = step.coverage == 0
            assert np.array_equal(step.after[outside], before[outside])  # exactly, not within rounding
            assert step.category in FOREGROUND
            before = step.after
        # Steps are developed like the photo, so the last one is the photo itself.
        assert np.array_equal(before, sample.image)


def test_background_differs_from_the_photo_only_under_foreground_objects(samples):
    for sample in samples:
        covered = np.zeros(sample.image.shape[:2], bool)
        for step in sample.composition.steps:
            covered |= step.coverage > 0
        differs = np.any(sample.composition.background != sample.image, axis=2)
        assert not np.any(differs & ~covered)


def test_coverage_is_amodal_and_boxes_are_fractions(samples):
    hidden_later = 0
    for sample in samples:
        size = sample.image.shape[0]
        for step in sample.composition.steps:
            rows, cols = np.flatnonzero(step.coverage.any(axis=1)), np.flatnonzero(step.coverage.any(axis=0))
            pixels = np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1]) / size
            assert np.all(np.abs(np.array(step.box) - pixels) < 1 / size)
            # Fully covered pixels that the photo shows differently: a later object hides them.
            hidden_later += np.any((step.coverage == 255) & np.any(step.after != sample.image, axis=2))
    assert hidden_later > 0


def test_small_objects_are_kept(samples):
    shares = [np.count_nonzero(step.coverage) / step.coverage.size
              for sample in samples for step in sample.composition.steps]
    assert min(shares) < 0.03 and np.mean(np.array(shares) < 0.03) > 0.3


def test_background_alone_is_the_same_and_the_photo_unchanged():
    place = place_of(select_cities(5)[4])
    for index in range(4):
        plain = render_sample(place, 2, index, 64)
        alone = render_sample(place, 2, index, 64, compose="background")
        full = render_sample(place, 2, index, 64, compose="steps")
        assert np.array_equal(plain.image, alone.image) and np.array_equal(plain.image, full.image)
        assert plain.layers == full.layers and plain.caption == full.caption
        assert np.array_equal(plain.overhead, full.overhead)
        if alone.composition is not None:
            assert alone.composition.steps == []
            assert np.array_equal(alone.composition.background, full.composition.background)


def test_unknown_compose_output():
    with pytest.raises(ValueError, match="compose must be one of"):
        render_sample(place_of(select_cities(1)[0]), 0, 0, 32, compose="layers")
