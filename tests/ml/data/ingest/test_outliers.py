import json

import numpy as np
import pytest

from ml.cli import main
from ml.data import outliers


def test_flags_points_far_from_their_city():
    rng = np.random.default_rng(0)
    features = rng.normal(0, 1, (60, 5)).astype(np.float32)
    features[[3, 40]] += 12.0
    flags, _ = outliers.flag_outliers(features, [i // 30 for i in range(60)], k=3)
    assert set(np.flatnonzero(flags)) >= {3, 40} and flags.sum() <= 5
    scores = outliers.precision_recall(flags, np.isin(np.arange(60), [3, 40]))
    assert scores["recall"] == 1.0


@pytest.mark.parametrize("features", ["oracle", "pixels"])
def test_outliers_cli_reports_precision_and_recall(tiny_geoscenes, tmp_path, capsys, features):
    clean = tmp_path / "clean"
    assert main(["outliers", str(tiny_geoscenes), "--features", features, "--k", "2",
                 "--write-clean", str(clean)]) == 0
    printed = capsys.readouterr().out
    assert f"({features} features, k=2)" in printed
    assert "precision" in printed and "recall" in printed
    flagged = int(printed.split("flagged ")[1].split()[0])
    info = json.loads((clean / "dataset.json").read_text())
    assert info["count"] == 32 - flagged and info["outliers_removed"]["count"] == flagged
    assert len((clean / "manifest.jsonl").read_text().splitlines()) == 32 - flagged
    assert info["outliers_removed"]["method"].startswith(features)


def test_the_oracle_features_need_an_oracle(tiny_geoscenes, tmp_path, capsys):
    assert main(["outliers", str(tiny_geoscenes), "--oracle", str(tmp_path / "none")]) == 2
    assert "no oracle at" in capsys.readouterr().err
