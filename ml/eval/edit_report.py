"""The `edit` section of the results page: the table of measured figures, grids and strips.

It measures nothing itself: the figures are the latest `python -m ml eval-edit` records of each
model folder; the pictures are drawn here from the held-out photos of the dataset.
"""
from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ml.eval.cli import figure
from ml.eval.edit_metrics import DIVERSITY_SEEDS, EDIT_TASKS, VISITOR_TASKS
from ml.eval.metrics import to_pictures
from ml.eval.report import FIDELITY_COLUMNS, fidelity_cells
from ml.sections import write_section
from ml.train.image_cache import load_image_cache

GRID_SOURCES = 4
GRID_CELL = 64  # small pictures are enlarged (nearest neighbour) to this side
STRIP_FRAMES = 8
STRIP_PAIRS = (("by day, on a bright afternoon", "at night, after dark"), ("sunny and cloudless", "snowy and wintry"))
STRIP_SOURCES = 2
FIGURES = ("accuracy", "visitor_accuracy", "consistency", "feature_distance", "sharpness", "diversity")
PAIRED = (("accuracy", "accuracy"), ("visitor_accuracy", "accuracy in a visitor's words"),
          ("consistency", "consistency"))
# What may differ between the runs of one recipe: the seed, and where and how the run was made.
NOT_RECIPE = ("seed", "command", "run")


@dataclass
class ReportRow:
    """One model of the table: its folder and pipeline (the one drawn), and the latest eval-edit
    record of that folder and of the same recipe trained with other seeds, by seed."""

    folder: Path
    pipeline: object
    records: dict[int, dict]

    @property
    def shown(self) -> dict:
        return next(iter(self.records.values()))


def training_seed(config: dict) -> int:
    return (config.get("training") or {}).get("seed", 0)


def recipe(config: dict) -> dict:
    """What a training run made of the model: its architecture and training options, less the seed
    and the run's own name and command line (which holds the seed)."""
    training = {key: value for key, value in (config.get("training") or {}).items() if key not in NOT_RECIPE}
    if "dataset" in training:  # the same data wherever it lay
        training["dataset"] = {key: value for key, value in training["dataset"].items() if key != "path"}
    return {"architecture": config["architecture"], "training": training}


def recipe_differences(config: dict, other: dict) -> list[str]:
    """The architecture and training options two model configs set differently (a setting
    only one of them records is not counted: older runs recorded fewer)."""
    first, second = recipe(config), recipe(other)
    return [f"{section}.{key}" for section in ("architecture", "training")
            for key in sorted(first[section].keys() & second[section].keys())
            if first[section][key] != second[section][key]]


def describe(config: dict) -> str:
    """What sets a model apart from full SIMGAN, from its config.json."""
    architecture, training = config["architecture"], config.get("training") or {}
    if architecture["residual_units"] == 0:
        what = "SISGAN-like: encoder-decoder, no residual units, no cycle loss"
    else:
        differences = []
        if training.get("cycle_weight") == 0:
            differences.append("cycle loss")
        if not architecture["augmentation"]:
            differences.append("conditioning augmentation")
        what = "SIMGAN without " + " and ".join(differences) if differences else "SIMGAN"
    extras = ["standardised texts"] if architecture.get("standardize_text") else []
    if architecture.get("attribute_head"):
        extras.append(f"attribute head on {', '.join(architecture['attribute_head'])} "
                      f"(weight {training.get('attribute_weight', 1):g})")
    if training.get("phrase_edits"):
        extras.append(f"{training['phrase_edits']:.0%} phrase edits")
    if architecture["augmentation"] and training.get("kl_weight", 1) != 1:
        extras.append(f"augmentation's KL weight {training['kl_weight']:g}")
    if training.get("identity_weight"):
        extras.append(f"identity loss (weight {training['identity_weight']:g})")
    if training.get("paired_weight"):
        extras.append(f"paired loss on rendered variants (weight {training['paired_weight']:g})")
    if training.get("ema_kimg"):
        extras.append(f"moving average of the weights (half-life {training['ema_kimg']:g} kimg)")
    return f"{what}; {', '.join(extras)}" if extras else what


def _cell(picture: Image.Image) -> Image.Image:
    return picture.resize((GRID_CELL, GRID_CELL), Image.Resampling.NEAREST)


def edit_grid(pipeline, sources: list[Image.Image], texts: list[str], seed: int = 0) -> Image.Image:
    """Rows of sources; the first column is the source, then one column per text."""
    grid = Image.new("RGB", (GRID_CELL * (len(texts) + 1), GRID_CELL * len(sources)), "white")
    for row, source in enumerate(sources):
        edits = pipeline.generate([{"image": source, "text": text} for text in texts], [seed] * len(texts))
        for column, picture in enumerate([source, *edits]):
            grid.paste(_cell(picture), (column * GRID_CELL, row * GRID_CELL))
    return grid


def interpolation_strips(pipeline, sources: list[Image.Image], pairs=STRIP_PAIRS, frames: int = STRIP_FRAMES,
                         seed: int = 0) -> Image.Image:
    """One row per (source, pair of texts): the source, then the frames from one text to the other."""
    rows = [(source, pair) for pair in pairs for source in sources]
    grid = Image.new("RGB", (GRID_CELL * (frames + 1), GRID_CELL * len(rows)), "white")
    for row, (source, (start, end)) in enumerate(rows):
        items = [{"image": source, "text": start, "text_to": end, "mix": i / (frames - 1)} for i in range(frames)]
        for column, picture in enumerate([source, *pipeline.generate(items, [seed] * frames)]):
            grid.paste(_cell(picture), (column * GRID_CELL, row * GRID_CELL))
    return grid


def _mean_figure(values: list) -> str:
    """The mean of one figure over a row's seeds, ± their standard deviation when there are several."""
    values = [value for value in values if value is not None]
    if len(values) < 2:
        return figure(values[0] if values else None)
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def paired_comparison(row: ReportRow, baseline: ReportRow) -> str | None:
    """One sentence: how `row` fares against `baseline` on the seeds both were trained with, seed
    by seed (None when they share fewer than two)."""
    seeds = sorted(row.records.keys() & baseline.records.keys())
    if len(seeds) < 2:
        return None
    parts = []
    for key, name in PAIRED:
        differences = [row.records[seed][key] - baseline.records[seed][key] for seed in seeds
                       if row.records[seed].get(key) is not None and baseline.records[seed].get(key) is not None]
        if differences:
            ahead = sum(difference > 0 for difference in differences)
            parts.append(f"{name} {statistics.mean(differences):+.3f} (ahead on {ahead} of {len(differences)})")
    return (f"`{row.folder.name}` against `{baseline.folder.name}`, seed by seed (seeds "
            f"{', '.join(map(str, seeds))}; mean difference, and on how many seeds it is ahead): "
            + "; ".join(parts) + ".")


def write_edit_results(rows: list[ReportRow], data: Path, out: Path, images: Path) -> None:
    """The first row is the model shown: its per-text figures, its interpolation strips."""
    from ml.modelfolder import read_config

    images.mkdir(parents=True, exist_ok=True)
    link = Path(os.path.relpath(images, out.parent)).as_posix()
    first = rows[0]
    resolution = first.pipeline.resolution
    heldout = load_image_cache(data, resolution=resolution, split="heldout", max_images=GRID_SOURCES, progress=False)
    sources = to_pictures(heldout.images)
    texts = [text for _, _, text in EDIT_TASKS]
    record = first.shown
    lines = [
        f"Edits of {record['images']} photos of held-out cities ({record['data']}, at {resolution}x{resolution}) by "
        f"{record['tasks']} texts that each name one attribute value, judged by the oracle "
        f"(`ml/eval/edit_metrics.py`; made with `python -m ml eval-edit MODEL --data DIR` and "
        f"`python -m ml report-edit MODEL ... --data DIR`). Accuracy: edits where the oracle finds the value "
        f"the text asks for, among sources that lacked it; in a visitor's words: the same for "
        f"{len(VISITOR_TASKS)} texts asking for these values in words no caption uses. Consistency: attributes "
        f"the text does not name that "
        f"keep the oracle's prediction. Feature distance: oracle-feature distance edit-source over that of two "
        f"random photos (lower keeps more). Sharpness: high-frequency energy over the photos'. Diversity: mean "
        f"pixel difference between {DIVERSITY_SEEDS} seeds' edits of one source and text. A model trained with "
        f"several seeds (the same command otherwise) shows the mean over them ± their standard deviation. "
        f"FID, precision / recall (k-nearest-neighbour manifolds, Kynkäänniemi et al. 2019) and edge strength "
        f"(`ml/eval/fidelity.py`): one edit of each source, the texts in turn, against the sources, beside the "
        f"same distances between two halves of the sources (real vs real); of the first seed's model only.",
        "",
        "| model | what it is | trained (kimg) | seeds | accuracy | in a visitor's words | consistency "
        "| feature distance | sharpness | diversity | FID | " + " | ".join(FIDELITY_COLUMNS) + " |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        config = read_config(row.folder, verify_weights=False)
        kimg = (config.get("training") or {}).get("kimg")
        figures = [_mean_figure([measured.get(key) for measured in row.records.values()]) for key in FIGURES]
        figures += [figure(row.shown.get("fid"), 1), *fidelity_cells(row.shown)]
        lines.append(f"| `{row.folder.name}` | {describe(config)} | {figure(kimg, 0)} | "
                     f"{', '.join(map(str, row.records))} | " + " | ".join(figures) + " |")
    comparisons = [sentence for row in rows[1:] if (sentence := paired_comparison(first, row))]
    if comparisons:
        lines += ["", *(f"- {sentence}" for sentence in comparisons)]
    lines += ["", f"Accuracy of `{first.folder.name}` (seed {next(iter(first.records))}) per text, the captions' "
              f"words first, then a visitor's (and the oracle's own recall of that value on real photos):",
              "", "| text | attribute = value | edits judged | accuracy | oracle on real photos |", "|---|---|---:|---:|---:|"]
    for text, task in {**record["accuracy_by_task"], **record.get("visitor_accuracy_by_task", {})}.items():
        lines.append(f"| “{text}” | {task['attribute']} = {task['value']} | {task['edits']} "
                     f"| {figure(task['accuracy'])} | {figure(task['oracle_on_real'])} |")
    lines += ["", "Held-out photos (first column) edited by each text in the captions' words above, in that order, "
                  "seed 0:", ""]
    for row in rows:
        name = f"edit-{row.folder.name}.png"
        edit_grid(row.pipeline, sources, texts).save(images / name)
        lines.append(f"![{row.folder.name}: sources x texts]({link}/{name})")
        lines.append(f"*`{row.folder.name}`*")
        lines.append("")
    strips = f"edit-interpolation-{first.folder.name}.png"
    interpolation_strips(first.pipeline, sources[:STRIP_SOURCES]).save(images / strips)
    pairs = "; ".join(f"“{a}” → “{b}”" for a, b in STRIP_PAIRS)
    lines += [f"Interpolation with `{first.folder.name}`: the source, then {STRIP_FRAMES} frames from one text's "
              f"condition to the other's with the same noise ({pairs}):", "",
              f"![interpolation strips]({link}/{strips})"]
    write_section(out, "edit", "\n".join(lines), "Results")
