"""`python -m ml report RUNS_DIR --out docs/RESULTS.md`: the measured runs as a results page.

It measures nothing itself: it reads what `python -m ml export` (the checkpoint the duality
gap picked) and `python -m ml eval` (the oracle metrics, appended to each run's and model's
`metrics.jsonl`) wrote, and draws a sample grid per run for a row of contrasting places.
"""
from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from ml.eval.cli import figure
from ml.train import run_dir

# (label, lat, lon): one place per row of every grid.
CONTRAST_PLACES = [
    ("Tromsø (polar)", 69.6489, 18.9551),
    ("Riyadh (desert)", 24.6877, 46.7219),
    ("Manaus (tropical)", -3.1019, -60.025),
    ("Tokyo (megacity)", 35.6895, 139.6917),
    ("Hallstatt (village)", 47.5622, 13.6493),
]
GRID_SEEDS = range(6)
GRID_CELL = 64  # small pictures are enlarged (nearest neighbour) to at least this side


def sample_grid(pipeline, places=CONTRAST_PLACES, seeds=GRID_SEEDS) -> Image.Image:
    """Rows of places, columns of seeds."""
    seeds = list(seeds)
    inputs = [{"lat": lat, "lon": lon} for _, lat, lon in places for _ in seeds]
    pictures = pipeline.generate(inputs, seeds * len(places))
    side = pictures[0].width * max(1, GRID_CELL // pictures[0].width)
    grid = Image.new("RGB", (side * len(seeds), side * len(places)), "white")
    for index, picture in enumerate(pictures):
        row, column = divmod(index, len(seeds))
        grid.paste(picture.resize((side, side), Image.Resampling.NEAREST), (column * side, row * side))
    return grid


def read_metrics(folder: Path) -> list[dict]:
    path = Path(folder) / "metrics.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def latest_record(records: list[dict], target_prefix: str) -> dict | None:
    """The newest full evaluation (FID, KID and conditional accuracy) of a target."""
    found = [r for r in records if r["target"].startswith(target_prefix) and
             {"fid", "kid", "conditional_accuracy"} <= set(r)]
    return found[-1] if found else None


def describe_run(options: dict) -> str:
    """What sets a run apart from the default: its curriculum and any ablation."""
    train, model = options["train"], options["train"]["model"]
    count = train.get("cities")
    parts = [("1 city" if count == 1 else f"{count} cities") if count else "all cities"]
    if not model.get("conditional", True):
        parts.append("unconditional")
    if model.get("condition_blocks", False):
        parts.append("condition at every stage")
    if stages := model.get("noise_stages", 0):
        where = "the finest stage" if stages == 1 else f"the {stages} finest stages"
        parts.append(f"{'gated ' if model.get('noise_gates', False) else ''}noise inputs at {where}")
    if model.get("context_noise_std", 0) == 0:
        parts.append("no context noise")
    if model.get("context_population", False):
        parts.append("city population in the context")
    if model.get("context_population_steps"):
        parts.append(f"population steps at {', '.join(f'{bound:,}' for bound in model['context_population_steps'])}")
    if model.get("context_climate", False):
        parts.append("climate in the context")
    if model.get("context_head"):
        parts.append(f"class head on {', '.join(model['context_head'])} (weight {train.get('context_weight', 1):g})")
    if train.get("twin_class_weight", 0):
        parts.append(f"twin class head (weight {train['twin_class_weight']:g})")
    if train.get("class_teacher", "none") != "none":
        shares = train.get("class_teacher_shares", "none")
        parts.append(f"class teacher {train['class_teacher']} (weight {train.get('class_teacher_weight', 1):g}"
                     + (f"; shares of {shares.replace(',', ', ')})" if shares != "none" else ")"))
    if train.get("spectrum_weight", 0):
        by, rings = train.get("spectrum_by", "none"), train.get("spectrum_rings", "uniform")
        parts.append(f"spectrum matched to the photos' (weight {train['spectrum_weight']:g}"
                     + (f"; by {by.replace(',', ', ')}" if by != "none" else "")
                     + (f"; rings weighed {rings}" if rings != "uniform" else "") + ")")
    if not train.get("drop_outliers", True):
        parts.append("outliers kept")
    if train.get("start_resolution", 4) == model["resolution"]:
        parts.append("no progressive growing")
    return ", ".join(parts)


# The columns of `fidelity_cells`, for every results table of generated pictures.
EDGE_COLUMN = "edge strength, generated / real: Laplacian variance, mean gradient (both halved)"
FIDELITY_COLUMNS = ("precision / recall", "real vs real: FID, KID, precision / recall", EDGE_COLUMN)


def edge_cell(edges: dict | None) -> str:
    """'0.78, 1.12 (0.90, 1.01)': the edge strength ratios of an eval record's `edge_strength`,
    then those of both sets halved where they were measured; '–' where there are none."""
    def pair(ratio: dict) -> str:
        return f"{figure(ratio['laplacian_variance'], 2)}, {figure(ratio['mean_gradient'], 2)}"

    ratio, half = (edges or {}).get("ratio"), (edges or {}).get("half")
    if not ratio:
        return "–"
    return pair(ratio) + (f" ({pair(half['ratio'])})" if half else "")


def fidelity_cells(record: dict) -> list[str]:
    """Precision / recall, the real-vs-real floor and the edge strength ratios of an eval
    record ('–' where an older record lacks them)."""
    floor = record.get("floor")
    pair = f"{figure(record.get('precision'))} / {figure(record.get('recall'))}"
    floor_cell = (f"{figure(floor['fid'], 1)}, {figure(floor['kid'], 2)}, {figure(floor['precision'])} / "
                  f"{figure(floor['recall'])}" if floor else "–")
    return [pair, floor_cell, edge_cell(record.get("edge_strength"))]


def row(name: str, record: dict) -> str:
    accuracy = record["conditional_accuracy"]
    cells = [name, f"{record['fid']:.2f}", f"{record['kid']:.4f}"]
    for attribute in ("biome", "density"):
        figures = accuracy[attribute]
        cells.append(f"{figures['generated']:.3f} / {figures['real']:.3f} = **{figures['ratio']:.2f}**")
    return "| " + " | ".join(cells + fidelity_cells(record)) + " |"


HEADER = ("| run | FID | KID | biome: generated / real = ratio | density: generated / real = ratio | "
          + " | ".join(FIDELITY_COLUMNS) + " |\n|---|---:|---:|---:|---:|---:|---:|---:|")


def runs_table(runs: list[Path], exported: Path) -> tuple[list[str], list[str]]:
    """(table rows for the selected checkpoints, rows comparing selected and last checkpoints)."""
    selected_rows, selection_rows = [], []
    for run in runs:
        options = json.loads((run / run_dir.OPTIONS_FILE).read_text(encoding="utf-8"))
        model = exported / run.name
        config = json.loads((model / "config.json").read_text(encoding="utf-8"))
        picked = config["training"]["checkpoint"]
        chosen = latest_record(read_metrics(model), model.name)
        last = latest_record(read_metrics(run), f"{run.name}/{run_dir.list_checkpoints(run)[-1].name}")
        if chosen is None or last is None:
            raise ValueError(f"{run.name}: evaluate {model} and the run's latest checkpoint first (python -m ml eval)")
        name = f"{run.name} ({describe_run(options)})"
        selected_rows.append(row(name, chosen))
        gap = config["metrics"]["duality_gap"]
        selection_rows.append(row(f"{run.name}: picked {picked} (gap {gap:.2f})", chosen))
        selection_rows.append(row(f"{run.name}: last {last['target'].split('/')[-1]}", last))
    return selected_rows, selection_rows


def write_results(runs: list[Path], exported: Path, page: Path, images: Path) -> None:
    """The `runs` section of `page`: metrics tables and one sample grid per run (into `images`)."""
    from ml import pipelines
    from ml.sections import write_section

    selected_rows, selection_rows = runs_table(runs, exported)
    images.mkdir(parents=True, exist_ok=True)
    places = ", ".join(label for label, _, _ in CONTRAST_PLACES)
    grids = []
    for run in runs:
        grid = sample_grid(pipelines.load(exported / run.name))
        grid.save(images / f"{run.name}.png")
        relative = Path(images).resolve().relative_to(page.parent.resolve()) / f"{run.name}.png"
        grids.append(f"**{run.name}** ({describe_run(json.loads((run / run_dir.OPTIONS_FILE).read_text()))})\n\n"
                     f"![{run.name}]({relative.as_posix()})")
    any_record = latest_record(read_metrics(exported / runs[0].name), runs[0].name)
    text = "\n".join([
        f"Each row: the checkpoint the duality gap picked, measured on {any_record['images']} photos of held-out "
        f"cities ({any_record['data']}, dataset sha256 {any_record['data_sha256'][:12]}) at "
        f"{any_record['resolution']}x{any_record['resolution']}, oracle {any_record['oracle_sha256'][:12]}.",
        "", HEADER, *selected_rows, "",
        "### The checkpoint selection picked versus the last one", "", HEADER, *selection_rows, "",
        f"### Samples (rows: {places}; columns: seeds {GRID_SEEDS[0]} to {GRID_SEEDS[-1]})", "",
        *[item + "\n" for item in grids],
    ])
    write_section(page, "runs", text.rstrip("\n"), title="Results")
