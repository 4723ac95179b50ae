import numpy as np
import pytest
import torch
from PIL import Image

from ml.eval.metrics import (conditional_accuracy_metric, evaluate, frechet_distance,
                             kernel_inception_distance, real_features)
from ml.eval.oracle import ATTRIBUTES, load_oracle
from ml.modelfolder import read_config
from ml.pipelines import load


def test_frechet_distance_matches_the_closed_form_of_two_gaussians():
    rng = np.random.default_rng(0)
    real = rng.normal(0.0, 1.0, (20000, 4))
    fake = rng.normal(0.0, 2.0, (20000, 4)) + np.array([3.0, 0.0, 0.0, 0.0])
    # |mu|^2 + sum(s1^2 + s2^2 - 2 s1 s2) = 9 + 4 * (1 + 4 - 4) = 13
    assert frechet_distance(real, fake) == pytest.approx(13.0, rel=0.03)
    assert abs(frechet_distance(real, real)) < 1e-6


def test_kid_is_near_zero_for_one_distribution_and_grows_with_the_difference():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, (600, 8)), rng.normal(0, 1, (600, 8))
    same, _ = kernel_inception_distance(a, b, subsets=20, subset_size=300)
    near, _ = kernel_inception_distance(a, b + 0.5, subsets=20, subset_size=300)
    far, _ = kernel_inception_distance(a, b + 2.0, subsets=20, subset_size=300)
    assert abs(same) < 0.01 < near < far


def test_the_oracle_folder_holds_its_heads_and_heldout_accuracy(oracle_folder):
    config = read_config(oracle_folder)
    assert config["kind"] == "oracle"
    assert set(config["architecture"]["classes"]) == set(ATTRIBUTES)
    assert set(config["metrics"]["heldout_accuracy"]) == set(ATTRIBUTES)
    oracle, sha256 = load_oracle(oracle_folder)
    features, logits = oracle(torch.zeros(3, 3, 64, 64))  # any size is resized to the oracle's
    assert features.shape == (3, 256) and logits["biome"].shape == (3, 9) and len(sha256) == 64


def test_an_oracle_is_not_a_generator(oracle_folder):
    from ml.modelfolder import ModelFolderError

    with pytest.raises(ModelFolderError, match="no pipeline for kind 'oracle'"):
        load(oracle_folder)


class PhotoPipeline:
    """'Generates' the real photo of the same index: what a perfect generator would paint."""

    def __init__(self, photos: torch.Tensor):
        self.photos = photos

    def generate(self, inputs, seeds):
        return [Image.fromarray(self.photos[seed].permute(1, 2, 0).numpy()) for seed in seeds]


def test_a_generator_below_the_oracles_resolution_is_compared_with_shrunk_photos(scenes, oracle_folder):
    oracle, sha256 = load_oracle(oracle_folder)
    real = real_features(oracle, sha256, scenes, split="heldout", max_images=100, cache=None, resolution=8,
                         progress=False)
    assert real.data.images.shape[-1] == 8
    pipeline = PhotoPipeline(real.data.images)
    pipeline.resolution = 8
    result = evaluate(pipeline, oracle, sha256, scenes, names=["fid"], cache=None, progress=False)
    assert result["resolution"] == 8 and abs(result["fid"]) < 1e-6


class GreyPipeline:
    def generate(self, inputs, seeds):
        return [Image.new("RGB", (16, 16), (128, 128, 128)) for _ in seeds]


def test_a_generator_painting_the_real_photos_scores_like_them(scenes, oracle_folder, tmp_path):
    oracle, sha256 = load_oracle(oracle_folder)
    real = real_features(oracle, sha256, scenes, split="heldout", max_images=100, cache=None, progress=False)
    perfect = evaluate(PhotoPipeline(real.data.images), oracle, sha256, scenes, cache=tmp_path, progress=False)
    grey = evaluate(GreyPipeline(), oracle, sha256, scenes, cache=tmp_path, progress=False)
    assert perfect["images"] == len(real.data) > 0 and perfect["split"] == "heldout"
    assert abs(perfect["fid"]) < 1e-6 and grey["fid"] > 0.05
    for name in ("biome", "density"):
        figures = perfect["conditional_accuracy"][name]
        assert figures["generated"] == figures["real"] and figures["ratio"] == 1.0
    assert grey["kid"] > perfect["kid"]
    assert perfect["precision"] == perfect["recall"] == 1.0 and grey["recall"] < 0.1
    assert perfect["edge_strength"]["ratio"] == {"laplacian_variance": 1.0, "mean_gradient": 1.0,
                                                 "checkerboard": 1.0}
    assert grey["edge_strength"]["generated"] == {"laplacian_variance": 0.0, "mean_gradient": 0.0, "checkerboard": 0.0}
    # The floor is the real photos' own: the same for both generators, and stored once.
    assert perfect["floor"] == grey["floor"] and sum(perfect["floor"]["halves"]) == perfect["images"]
    assert len(list(tmp_path.glob("floor-*.json"))) == 1


def test_edge_strength_compares_a_generator_with_real_photos_at_its_own_resolution(scenes, oracle_folder):
    oracle, sha256 = load_oracle(oracle_folder)
    real = real_features(oracle, sha256, scenes, split="heldout", max_images=100, cache=None, resolution=8,
                         progress=False)
    pipeline = PhotoPipeline(real.data.images)  # paints at 8x8 without saying so: the oracle's 16 is assumed
    result = evaluate(pipeline, oracle, sha256, scenes, names=["edge_strength"], cache=None, progress=False)
    assert result["resolution"] == 16 and result["edge_strength"]["resolution"] == 8
    assert result["edge_strength"]["ratio"]["laplacian_variance"] == 1.0


def test_edge_strength_of_a_generator_above_the_photos_size_is_not_measured_and_says_why(scenes, oracle_folder):
    # Photos enlarged to the generator's 32 px would be softer than the scenes, and pictures shrunk
    # to the photos' 16 px would be compared with another render of the scenes: no figure is
    # better than a biased one, and the eval must say so instead of printing nothing.
    from ml.eval.cli import format_edge_strength

    oracle, sha256 = load_oracle(oracle_folder)
    real = real_features(oracle, sha256, scenes, split="heldout", max_images=100, cache=None, progress=False)
    assert real.data.images.shape[-1] == 16
    pipeline = PhotoPipeline(real.data.images.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3))
    pipeline.resolution = 32
    result = evaluate(pipeline, oracle, sha256, scenes, names=["fid", "edge_strength"], cache=None, progress=False)
    assert result["edge_strength"]["resolution"] == 32 and "ratio" not in result["edge_strength"]
    assert "16 px" in result["edge_strength"]["not_measured"] and abs(result["fid"]) < 1e-6
    assert format_edge_strength(result["edge_strength"]) == [
        "  edge strength at 32 px: not measured: the photos are 16 px, smaller than the 32 px pictures; "
        "measure with photos of 32 px"]


def test_real_features_are_cached_by_dataset_and_oracle(scenes, oracle_folder, tmp_path):
    oracle, sha256 = load_oracle(oracle_folder)
    first = real_features(oracle, sha256, scenes, split="heldout", max_images=50, cache=tmp_path, progress=False)
    cached = list(tmp_path.glob("real-*.npz"))
    assert len(cached) == 1
    second = real_features(oracle, sha256, scenes, split="heldout", max_images=50, cache=tmp_path, progress=False)
    assert np.array_equal(first.oracle.features, second.oracle.features)
    real_features(oracle, "another-oracle", scenes, split="heldout", max_images=50, cache=tmp_path, progress=False)
    assert len(list(tmp_path.glob("real-*.npz"))) == 2


def test_conditional_accuracy_counts_the_place_attributes_only():
    from ml.eval.metrics import Evaluation, FeatureSet, RealSet

    class Data:
        labels = {"biome": torch.tensor([0, 1, 2, -1]), "density": torch.tensor([3, 3, 3, 3])}

    real = RealSet(Data(), FeatureSet(np.zeros((4, 2)), {"biome": np.array([0, 1, 0, 5]),
                                                          "density": np.array([3, 3, 3, 0])}))
    generated = FeatureSet(np.zeros((4, 2)), {"biome": np.array([0, 0, 0, 0]), "density": np.array([3, 0, 3, 3])})
    figures = conditional_accuracy_metric(Evaluation(real, generated))["conditional_accuracy"]
    assert figures["biome"] == {"generated": pytest.approx(1 / 3, abs=1e-4), "real": pytest.approx(2 / 3, abs=1e-4),
                                "ratio": 0.5}
    assert figures["density"] == {"generated": 0.75, "real": 0.75, "ratio": 1.0}


def test_class_accuracy_says_which_class_is_lost_and_as_what_it_is_read():
    from ml.eval.metrics import Evaluation, FeatureSet, RealSet, class_accuracy_metric

    class Data:
        labels = {"biome": torch.tensor([0, 0, 0, 0, 1, 1, -1]), "density": torch.tensor([0, 0, 0, 0, 0, 0, 0])}
        classes = {"biome": ["mediterranean", "savanna", "alpine"], "density": ["village", "city"]}

    real = RealSet(Data(), FeatureSet(np.zeros((7, 2)), {"biome": np.array([0, 0, 0, 1, 1, 1, 2]),
                                                          "density": np.zeros(7, int)}))
    generated = FeatureSet(np.zeros((7, 2)), {"biome": np.array([0, 1, 1, 2, 1, 1, 0]), "density": np.zeros(7, int)})
    figures = class_accuracy_metric(Evaluation(real, generated))["class_accuracy"]
    assert figures["biome"] == {  # alpine has no held-out photo: not listed
        "mediterranean": {"places": 4, "generated": 0.25, "real": 0.75, "ratio": 0.3333,
                          "misread_as": "savanna", "misread_share": 0.5},
        "savanna": {"places": 2, "generated": 1.0, "real": 1.0, "ratio": 1.0}}  # nothing misread
    assert figures["density"] == {"village": {"places": 7, "generated": 1.0, "real": 1.0, "ratio": 1.0}}


def test_scene_shares_show_a_dropped_weather_and_where_the_photos_edges_lie():
    from ml.eval.cli import format_results
    from ml.eval.metrics import Evaluation, FeatureSet, RealSet, scene_shares_metric

    class Data:
        classes = {"weather": ["clear", "snow"], "time_of_day": ["day", "night"]}

    flat, speckled = torch.full((1, 3, 8, 8), 128, dtype=torch.uint8), torch.zeros((1, 3, 8, 8), dtype=torch.uint8)
    speckled[..., ::2, ::2] = 255  # snow: white flakes on a dark sky
    real = RealSet(Data(), FeatureSet(np.zeros((4, 2)), {"weather": np.array([0, 0, 0, 1]),
                                                          "time_of_day": np.array([0, 1, 0, 1])}))
    generated = FeatureSet(np.zeros((4, 2)), {"weather": np.array([0, 0, 0, 0]), "time_of_day": np.array([1, 0, 1, 0])})
    pictures = torch.cat([flat, flat, flat, speckled])
    figures = scene_shares_metric(Evaluation(real, generated, pictures, torch.cat([flat] * 4)))["scene_shares"]
    weather = figures["weather"]
    assert weather["total_variation"] == 0.25  # a quarter of the photos show snow, no picture does
    assert weather["classes"]["snow"]["generated"] == 0 and weather["classes"]["snow"]["real"] == 0.25
    assert weather["classes"]["snow"]["laplacian_variance_generated"] is None  # no picture read as snow
    assert weather["classes"]["snow"]["laplacian_variance_real"] > 1000 > 0 == weather["classes"]["clear"][
        "laplacian_variance_real"]
    assert figures["time_of_day"]["total_variation"] == 0  # the same shares, whichever pictures show them
    # Without edge pictures (the photos smaller than the pictures), the shares alone.
    alone = scene_shares_metric(Evaluation(real, generated, "smaller", torch.cat([flat] * 4)))["scene_shares"]
    assert alone["weather"]["classes"]["snow"] == {"real": 0.25, "generated": 0.0}
    text = format_results({"target": "m", "images": 4, "split": "heldout", "data": "d", "resolution": 8,
                           "scene_shares": figures})
    assert "weather shares, generated / real (total variation 0.25):" in text
    assert "    snow         0.000 / 0.250; variance of the Laplacian - / " in text


def test_density_bounds_split_the_places_by_their_distance_to_a_class_bound():
    from ml.data.cities import world_cities
    from ml.eval.metrics import Evaluation, FeatureSet, RealSet, density_bounds_metric

    cities = world_cities()
    near = next(city for city in cities if abs(np.log10(city.population / 300_000)) < 0.05)  # town / city
    far = cities[0]  # the largest: decades above 3,000,000

    class Data:
        lat = torch.tensor([near.lat, far.lat, far.lat])
        lon = torch.tensor([near.lon, far.lon, far.lon])
        labels = {"density": torch.tensor([2, 3, -1])}  # the last photo's class is unknown

    real = RealSet(Data(), FeatureSet(np.zeros((3, 2)), {"density": np.array([2, 3, 0])}))
    generated = FeatureSet(np.zeros((3, 2)), {"density": np.array([1, 3, 0])})  # blurred at the bound
    figures = density_bounds_metric(Evaluation(real, generated))["density_bounds"]
    assert figures["near"] == {"places": 1, "generated": 0.0, "real": 1.0, "ratio": 0.0}
    assert figures["far"] == {"places": 1, "generated": 1.0, "real": 1.0, "ratio": 1.0}
