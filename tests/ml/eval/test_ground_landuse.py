"""The land-use comparison on tiny models: four rows on the same held-out places, and its page section."""
import torch

from ml.cli import main
from ml.eval.ground_landuse import fit_linear, interpolated_features, view_quality
from ml.modelfolder import write_model_folder
from ml.models.ground import GroundConfig, GroundModel
from ml.train.image_cache import load_image_cache


def ground_folder(path, conditional: bool):
    torch.manual_seed(1)
    config = GroundConfig(resolution=16, latent_dim=8, width=16, overhead_dim=8, conditional=conditional)
    write_model_folder(path, kind="ground", architecture=config.to_dict(), state_dict=GroundModel(config).state_dict(),
                       training={"kimg": 0.1})
    return path


def test_a_linear_classifier_separates_separable_features():
    features = torch.cat([torch.randn(50, 3) + 4, torch.randn(50, 3) - 4])
    labels = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(50, dtype=torch.long)])
    head = fit_linear(features * 100 + 7, labels, 2)  # unscaled, uncentred: standardised inside
    assert (head(features * 100 + 7).argmax(1) == labels).float().mean() == 1.0


def test_interpolation_uses_other_cities_only(scenes):
    data = load_image_cache(scenes, resolution=16, split="train", overhead=True, progress=False)
    features = data.city.float()[:, None]  # each photo's feature is its own city id
    interpolated = interpolated_features(data, features, data, neighbours=3)
    assert not (interpolated[:, 0] == data.city.float()).all()


def test_the_comparison_writes_four_rows_and_the_target(scenes, oracle_folder, tmp_path, capsys):
    page = tmp_path / "RESULTS.md"
    page.write_text("# Results\n\nHand-written text stays.\n")
    code = main(["landuse", "--conditional", str(ground_folder(tmp_path / "c", True)), "--unconditional",
                 str(ground_folder(tmp_path / "u", False)), "--data", str(scenes), "--oracle", str(oracle_folder),
                 "--target", str(ground_folder(tmp_path / "demo", True)), "--out", str(page)])
    assert code == 0
    text = page.read_text()
    assert "Hand-written text stays." in text and "<!-- ground-landuse -->" in text
    for row in ("(a) features interpolated", "(b) features of images", "(c) features of cGAN", "(d) the cGAN"):
        assert row in text
    assert "**Target**" in text and "Order measured here" in text
    assert text.count("| met |") + text.count("| missed |") == 2  # the cGAN and the --target model
    assert "FID of its views | two seeds' views of a tile differ by | precision / recall |" in text


def test_view_quality_sees_a_generator_that_ignores_its_latent(scenes, oracle_folder):
    from ml.eval.oracle import load_oracle

    oracle, _ = load_oracle(oracle_folder)
    heldout = load_image_cache(scenes, resolution=16, split="heldout", overhead=True, progress=False)
    torch.manual_seed(0)
    model = GroundModel(GroundConfig(resolution=16, latent_dim=8, width=16, overhead_dim=8))
    varied = view_quality(model, oracle, heldout)
    assert varied["diversity"]["generated"] > 0 and 0 < varied["diversity"]["real"] <= 1 and varied["fid"] > 0
    assert 0 <= varied["precision"] <= 1 and varied["floor"]["fid"] < varied["fid"]
    assert varied["edge_strength"]["resolution"] == heldout.images.shape[-1]
    with torch.no_grad():
        model.generator.input_dense.weight[:, :8] = 0  # the latent's columns: z no longer enters
    assert view_quality(model, oracle, heldout)["diversity"]["generated"] == 0


def test_a_place_model_is_refused(scenes, oracle_folder, tmp_path, capsys, place_folder):
    code = main(["landuse", "--conditional", str(place_folder), "--unconditional", str(place_folder),
                 "--data", str(scenes), "--oracle", str(oracle_folder), "--out", str(tmp_path / "R.md")])
    assert code == 2 and "is not a ground model folder" in capsys.readouterr().err
