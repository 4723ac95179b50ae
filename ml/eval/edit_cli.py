"""`python -m ml eval-edit MODEL ...` and `python -m ml report-edit MODEL ...`: the edit metrics.

    python -m ml eval-edit MODEL_DIR --data DIR [--oracle FOLDER] [--images 300] [--split heldout]
    python -m ml report-edit MODEL_DIR ... --data DIR [--seeds MODEL_DIR OTHER_SEED_DIR ...] ...
                             [--out docs/RESULTS.md] [--images docs/img/results]

`eval-edit` measures an edit model folder (accuracy, consistency, sharpness, diversity; see
`ml.eval.edit_metrics`) on the real photos of the dataset's held-out cities, prints the figures
and appends them as one JSON line to the folder's `metrics.jsonl`. `report-edit` measures
nothing: it writes the latest figures of each folder as the `edit` section of the results page,
with a grid of held-out photos edited by each text and interpolation strips of the first model.
With `--seeds`, a model's row shows the mean over the folders of its recipe trained with other
seeds, and the first model is compared with each other one seed by seed.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ml.cli import CommandError
from ml.eval.cli import (DEFAULT_ORACLE, ERROR_NOT_DATASET, ERROR_POSITIVE, METRICS_FILE, append_metrics,
                         check_oracle)

ERROR_NOT_EDIT_MODEL = "{} is not an edit model folder (config.json of kind 'edit')"
ERROR_NOT_MEASURED = "{} has no edit metrics yet; run `python -m ml eval-edit {} --data ...` first"
ERROR_SEEDS_NOT_A_MODEL = "--seeds {}: the first folder of --seeds must be one of the MODEL_DIRs of the table"
ERROR_SEEDS_ALONE = "--seeds {}: name the folders of the same recipe trained with other seeds after it"
ERROR_SEEDS_RECIPE = "--seeds {}: {} is not the same recipe with another seed (it differs in {})"
ERROR_SEEDS_TWICE = "--seeds {}: seed {} comes twice ({} and {})"
SECTION = "edit"


def register(subparsers) -> None:
    evaluate = subparsers.add_parser("eval-edit", help="measure an edit model with the oracle",
                                     description=__doc__.splitlines()[0])
    evaluate.add_argument("model", type=Path, metavar="MODEL_DIR")
    evaluate.add_argument("--data", type=Path, required=True, help="dataset with the real photos")
    evaluate.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="oracle folder (default: shipped)")
    evaluate.add_argument("--images", type=int, default=300, help="real photos edited at most (300)")
    evaluate.add_argument("--split", choices=("heldout", "train"), default="heldout")
    evaluate.set_defaults(func=run_eval_edit)

    report = subparsers.add_parser("report-edit", help="write the edit models' figures into a results page",
                                   description="The edit section of a results page: a table of the latest "
                                               "eval-edit figures of each model, grids and interpolation strips.")
    report.add_argument("models", type=Path, nargs="+", metavar="MODEL_DIR", help="the first is the one shown")
    report.add_argument("--data", type=Path, required=True, help="dataset whose held-out photos the grids edit")
    report.add_argument("--seeds", type=Path, nargs="+", action="append", default=[], metavar="DIR",
                        help="a MODEL_DIR of the table, then the folders of its recipe trained with other seeds: "
                             "its row shows the mean over them all (repeat for each such model)")
    report.add_argument("--out", type=Path, default=Path("docs/RESULTS.md"))
    report.add_argument("--images", type=Path, default=Path("docs/img/results"))
    report.set_defaults(func=run_report_edit)


def _edit_config(folder: Path) -> dict:
    from ml.modelfolder import ModelFolderError, read_config

    try:
        config = read_config(folder, verify_weights=False)
    except ModelFolderError as error:
        raise CommandError(str(error)) from None
    if config["kind"] != "edit":
        raise CommandError(ERROR_NOT_EDIT_MODEL.format(folder))
    return config


def _load_edit_model(folder: Path):
    from ml import pipelines
    from ml.modelfolder import ModelFolderError

    _edit_config(folder)
    try:
        return pipelines.load(folder)
    except ModelFolderError as error:
        raise CommandError(str(error)) from None


def run_eval_edit(args) -> int:
    from ml.eval.edit_metrics import evaluate_edits
    from ml.eval.oracle import load_oracle

    if args.images < 2:
        raise CommandError(ERROR_POSITIVE.format("images", args.images))
    if not (args.data / "manifest.jsonl").is_file():
        raise CommandError(ERROR_NOT_DATASET.format(args.data))
    check_oracle(args.oracle)
    pipeline = _load_edit_model(args.model)
    oracle, oracle_sha256 = load_oracle(args.oracle)
    try:
        results = evaluate_edits(pipeline, oracle, oracle_sha256, args.data, split=args.split, images=args.images)
    except ValueError as error:
        raise CommandError(str(error)) from None
    record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "kind": "edit",
              "target": f"{args.model.name} ({pipeline.sha256[:12]})", **results}
    print(json.dumps(record, indent=2))
    append_metrics(args.model, record)
    return 0


def latest_edit_record(folder: Path) -> dict | None:
    path = folder / METRICS_FILE
    if not path.is_file():
        return None
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [record for record in records if record.get("kind") == "edit"]
    return records[-1] if records else None


def _seed_records(folder: Path, others: list[Path]) -> dict[int, dict]:
    """The latest eval-edit record of a model folder and of each folder of its recipe trained
    with another seed, by seed, the model's own first."""
    from ml.eval.edit_report import recipe_differences, training_seed

    config, records, where = _edit_config(folder), {}, {}
    for run in [folder, *others]:
        run_config = _edit_config(run)
        if differences := recipe_differences(config, run_config):
            raise CommandError(ERROR_SEEDS_RECIPE.format(folder, run, ", ".join(differences)))
        seed = training_seed(run_config)
        if seed in records:
            raise CommandError(ERROR_SEEDS_TWICE.format(folder, seed, where[seed], run))
        record = latest_edit_record(run)
        if record is None:
            raise CommandError(ERROR_NOT_MEASURED.format(run, run))
        records[seed], where[seed] = record, run
    return records


def run_report_edit(args) -> int:
    from ml.eval.edit_report import ReportRow, write_edit_results

    if not (args.data / "manifest.jsonl").is_file():
        raise CommandError(ERROR_NOT_DATASET.format(args.data))
    others = {}
    for folder, *rest in args.seeds:
        if folder not in args.models:
            raise CommandError(ERROR_SEEDS_NOT_A_MODEL.format(folder))
        if not rest:
            raise CommandError(ERROR_SEEDS_ALONE.format(folder))
        others[folder] = rest
    rows = [ReportRow(folder, _load_edit_model(folder), _seed_records(folder, others.get(folder, [])))
            for folder in args.models]
    write_edit_results(rows, args.data, args.out, args.images)
    print(f"wrote the {SECTION} section of {args.out} and its pictures into {args.images}")
    return 0
