"""Rendering one sample: sizes, determinism, outliers, captions, layers, overhead tiles."""
import numpy as np
import pytest

from ml.data.geoscenes.canvas import rle_decode, rle_encode
from ml.data.geoscenes.captions import DENSITY_WORDS, KEYWORDS, WATER_DENSITY_WORDS
from ml.data.geoscenes.places import place_of, select_cities
from ml.data.geoscenes.render import ATTRIBUTE_CLASSES, render_sample


@pytest.fixture(scope="module")
def samples():
    places = [place_of(c) for c in select_cities(40)]
    return [(place, render_sample(place, 7, index, 32)) for place in places for index in range(10)]


@pytest.mark.parametrize("size", [32, 64, 128, 256])
def test_sizes(size):
    sample = render_sample(place_of(select_cities(1)[0]), 0, 1, size)
    assert sample.image.shape == (size, size, 3) and sample.image.dtype == np.uint8
    assert sample.overhead.shape == (size, size, 3) and sample.overhead.dtype == np.uint8
    assert all(layer["mask"]["size"] == [size, size] for layer in sample.layers)
    assert sample.image.std() > 5  # not a blank picture


def test_same_arguments_same_pixels():
    place = place_of(select_cities(3)[2])
    first, second = render_sample(place, 5, 4, 64), render_sample(place, 5, 4, 64)
    assert np.array_equal(first.image, second.image) and np.array_equal(first.overhead, second.overhead)
    assert first.layers == second.layers and first.caption == second.caption
    other = render_sample(place, 6, 4, 64)
    assert not np.array_equal(first.image, other.image)


def test_about_five_percent_outliers(samples):
    flags = [s.attributes["outlier"] for _, s in samples]
    assert 0.02 <= np.mean(flags) <= 0.09
    kinds = {s.attributes["outlier_kind"] for _, s in samples if s.attributes["outlier"]}
    assert kinds <= {"food", "selfie", "texture"} and kinds
    assert all(not s.attributes["landmark"] for _, s in samples if s.attributes["outlier"])


def test_attributes_are_known_classes(samples):
    for _, sample in samples:
        for name, classes in ATTRIBUTE_CLASSES.items():
            assert sample.attributes[name] in classes, name
    assert len({s.attributes["time_of_day"] for _, s in samples}) == 3
    assert len({s.attributes["weather"] for _, s in samples}) == 5


def test_captions_mention_the_attributes(samples):
    captions = set()
    for place, sample in samples:
        captions.add(sample.caption)
        if sample.attributes["outlier"]:
            continue
        text = sample.caption.lower()
        for name, words in KEYWORDS.items():
            options = words[sample.attributes[name]]
            if name == "density":
                options = options + WATER_DENSITY_WORDS[sample.attributes[name]]
            assert any(word.lower() in text for word in options), (name, sample.caption)
    assert len(captions) > 0.9 * len(samples)  # varied phrasing


def test_layers_boxes_and_masks(samples):
    for _, sample in samples[:120]:
        size = sample.image.shape[0]
        coverage = np.zeros((size, size), int)
        assert sample.layers[0]["kind"] == "background"
        for layer in sample.layers:
            x0, y0, x1, y1 = layer["box"]
            assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size
            mask = rle_decode(layer["mask"]["counts"], *layer["mask"]["size"])
            rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            assert [cols[0], rows[0], cols[-1] + 1, rows[-1] + 1] == layer["box"]
            assert len(layer["colour"]) == 3 and layer["category"]
            coverage += mask
        assert np.all(coverage == 1)  # visible masks tile the image


def test_landmark_layer_when_visible(samples):
    shown = [s for _, s in samples if s.attributes["landmark"]]
    assert shown
    for sample in shown:
        landmarks = [layer for layer in sample.layers if layer["category"] == "landmark"]
        assert landmarks and landmarks[0]["landmark_id"] == sample.attributes["landmark_id"]


def test_overhead_shows_water_when_the_place_has_water(samples):
    wet = [s for p, s in samples if p.climate.water]
    dry = [s for p, s in samples if not p.climate.water]

    def blue_share(tile):
        r, g, b = (tile[..., i].astype(int) for i in range(3))
        return np.mean((b > r + 60) & (b > g + 30))

    assert np.mean([blue_share(s.overhead) for s in wet]) > 0.1
    assert np.mean([blue_share(s.overhead) for s in dry]) < 0.02


def test_rle_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = rng.random((9, 7)) < rng.random()
        assert np.array_equal(rle_decode(rle_encode(mask), 9, 7), mask)
    with pytest.raises(ValueError):
        rle_decode([3, 4], 3, 3)


def test_a_variant_keeps_the_photo_and_changes_only_its_weather_time_of_day_or_biome():
    import copy
    import dataclasses

    from ml.data.geoscenes import effects
    from ml.data.geoscenes.render import VARIED, supersample_for
    from ml.data.geoscenes.sampling import photo_rng, sample_photo
    from ml.data.geoscenes.scene import draw_scene

    def objects(scene, kept=("sky", "ground", "sun", "moon", "cloud")):
        """The category of each working pixel; those in `kept` (sky, ground, sun, moon and
        clouds by default) as one."""
        names = np.array([layer["category"] for layer in scene.canvas.layers])[np.asarray(scene.canvas.labels)]
        return np.where(np.isin(names, kept), "", names)

    biome_own = ("forest", "tree", "branch")  # what a biome draws of its own
    checked = {attribute: 0 for attribute in VARIED}
    for place in [place_of(city) for city in select_cities(6)]:
        for index in range(4):
            sample = render_sample(place, 3, index, 32, variants=tuple(VARIED))
            if sample.spec.outlier != "none":
                assert sample.variants is None
                continue
            rng = photo_rng(3, place.city.geonameid, index)
            spec = sample_photo(place, rng)
            # Asked for the photo's own place and spec, the variant is the photo, to the byte.
            own_rng = copy.deepcopy(rng)
            scene = draw_scene(place, spec, own_rng, 32, supersample_for(32), layout_of=(place, spec))
            own = effects.finish(effects.develop(scene, place, spec, own_rng), spec)
            assert np.array_equal(own, sample.image)
            photo = draw_scene(place, spec, copy.deepcopy(rng), 32, 2)
            for attribute, values in VARIED.items():
                current = place.biome if attribute == "biome" else getattr(spec, attribute)
                assert set(sample.variants[attribute]) <= set(values) - {current}
                for value, picture in sample.variants[attribute].items():
                    assert picture.shape == sample.image.shape and not np.array_equal(picture, sample.image)
                    checked[attribute] += 1
                    if attribute != "biome":
                        # The same objects in the same places (their colours follow the weather).
                        changed = dataclasses.replace(spec, **{attribute: value})
                        scene = draw_scene(place, changed, copy.deepcopy(rng), 32, 2, layout_of=(place, spec))
                        assert np.array_equal(objects(scene), objects(photo))
                        continue
                    # Mountains, water, road, buildings and landmark stay where they were, wherever
                    # neither picture has the trees, forest or branch of its biome in front of them.
                    climate = dataclasses.replace(place.climate, biome=value)
                    scene = draw_scene(dataclasses.replace(place, climate=climate), spec, copy.deepcopy(rng), 32, 2,
                                       layout_of=(place, spec))
                    free = ~np.isin(objects(scene), biome_own) & ~np.isin(objects(photo), biome_own)
                    kept = ("sky", "ground", "sun", "moon", "cloud", *biome_own)
                    assert np.array_equal(objects(scene, kept)[free], objects(photo, kept)[free])
                    assert free.mean() > 0.5
    assert checked["weather"] > 50 and checked["time_of_day"] > 25 and checked["biome"] > 100


def test_variants_draw_no_random_number_of_the_photo():
    place = place_of(select_cities(2)[1])
    for index in range(5):
        plain, varied = render_sample(place, 1, index, 32), render_sample(place, 1, index, 32, variants=("weather", "biome"))
        assert np.array_equal(plain.image, varied.image) and np.array_equal(plain.overhead, varied.overhead)
        assert plain.caption == varied.caption and plain.layers == varied.layers
