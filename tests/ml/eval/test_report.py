import torch
from PIL import Image

from ml.cli import main
from ml.eval.fidelity import edge_strength
from ml.eval.report import edge_cell


def test_report_writes_tables_and_grids_between_its_markers(scenes, oracle_folder, tiny_run, tmp_path):
    exported = tmp_path / "exported"
    assert main(["export", str(tiny_run), "--out", str(exported / tiny_run.name), "--gap-steps", "2",
                 "--gap-images", "32"]) == 0
    common = ["--data", str(scenes), "--oracle", str(oracle_folder), "--images", "40", "--cache", str(tmp_path)]
    assert main(["eval", str(exported / tiny_run.name), *common]) == 0
    assert main(["eval", str(tiny_run), *common]) == 0
    page = tmp_path / "docs" / "RESULTS.md"
    page.parent.mkdir()
    page.write_text("# Results\n\nWritten by hand.\n\n<!-- runs -->\nold\n<!-- /runs -->\n\nAfter.\n")
    assert main(["report", str(tiny_run), "--exported", str(exported), "--out", str(page),
                 "--images", str(tmp_path / "docs" / "img")]) == 0
    text = page.read_text()
    assert "Written by hand." in text and "After." in text and "old" not in text
    assert "| precision / recall | real vs real: FID, KID, precision / recall |" in text
    assert f"| {tiny_run.name} (all cities)" in text and "picked checkpoint-" in text and "last checkpoint-" in text
    assert f"![{tiny_run.name}](img/{tiny_run.name}.png)" in text
    grid = Image.open(tmp_path / "docs" / "img" / f"{tiny_run.name}.png")
    assert grid.size == (6 * 64, 5 * 64)  # 8x8 pictures enlarged to 64x64


def test_the_edge_cell_gives_the_halved_ratios_beside_the_full_size_ones_where_measured():
    real = torch.randint(0, 256, (4, 3, 16, 16), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    measured = edge_strength(real, real.flip(-1))  # the same edges mirrored: every ratio is 1
    assert edge_cell(measured) == "1.00, 1.00 (1.00, 1.00)"
    assert edge_cell(edge_strength(real[..., :8, :8], real[..., :8, :8])) == "1.00, 1.00"  # too small to halve
    assert edge_cell(None) == "–"


def test_report_refuses_a_run_that_was_not_exported(tiny_run, tmp_path, capsys):
    assert main(["report", str(tiny_run), "--exported", str(tmp_path)]) == 2
    assert "must be a run folder exported to" in capsys.readouterr().err
