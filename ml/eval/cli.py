"""`python -m ml oracle ...` (train the metrics' classifier) and `python -m ml eval ...`.

    python -m ml oracle --data DIR --out FOLDER [--resolution 32] [--epochs 12]
    python -m ml eval RUN_OR_MODEL --data DIR [--oracle FOLDER] [--checkpoint latest|NAME]
        [--metrics fid,kid,conditional_accuracy,precision_recall,floor,edge_strength(,density_bounds,class_accuracy,
                   scene_shares)]
        [--images 2000]
        [--split heldout]
    python -m ml report RUN_DIR ... --exported DIR [--out docs/RESULTS.md]

`eval` measures a model folder (of kind place or ground: each picture is made for the place of
one real photo), or a place training run's checkpoint (its G_ema), against the real photos of
the dataset's held-out cities; it prints the figures, each distance beside its floor (the same
distance between two halves of the real photos), and appends them as one JSON line to
`metrics.jsonl` in the run folder or the model folder.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from ml.cli import CommandError, comma_names

DEFAULT_ORACLE = Path(__file__).resolve().parents[2] / "models" / "oracles" / "geoscenes-32"
DEFAULT_CACHE = Path(os.environ.get("GENIUS_LOCI_EVAL_CACHE", Path.home() / ".cache" / "genius-loci" / "eval"))
METRICS_FILE = "metrics.jsonl"
DEFAULT_METRICS = ("fid", "kid", "conditional_accuracy", "precision_recall", "floor", "edge_strength")

ERROR_NOT_DATASET = "--data {}: no manifest.jsonl; is this a dataset folder?"
ERROR_OUT_NOT_EMPTY = "--out {} exists and is not empty; choose a new folder"
ERROR_POSITIVE = "--{} must be a positive integer, got {}"
ERROR_RESOLUTION = "--resolution must be a power of two from 8 to 256, got {}"
ERROR_NOT_MODEL = "{} is neither a model folder (config.json) nor a run folder (options.json)"
ERROR_UNKNOWN_METRIC = "unknown metric {!r}; known: {}"
ERROR_NO_ORACLE = "no oracle at {}; train one with `python -m ml oracle --data DIR --out {}`"
ERROR_REPORT_RUN = "{} must be a run folder exported to {} (python -m ml export RUN --out ...)"
ERROR_NOT_MEASURED_HERE = "{} is a run of a kind this command does not measure (its measure: {})"
ERROR_NEIGHBOURS = "--neighbours must list positive integers (e.g. 1,3,5), got {!r}"


def register(subparsers) -> None:
    oracle = subparsers.add_parser("oracle", help="train the oracle classifier the metrics use",
                                   description="Train the GeoScenes attribute classifier whose features "
                                               "FID/KID compare and whose predictions give conditional accuracy.")
    oracle.add_argument("--data", type=Path, required=True, help="GeoScenes dataset folder")
    oracle.add_argument("--out", type=Path, required=True, help="new or empty folder for the oracle")
    oracle.add_argument("--resolution", type=int, default=32, help="image side it sees (default 32)")
    oracle.add_argument("--width", type=int, default=32, help="channels of its first block (default 32)")
    oracle.add_argument("--epochs", type=int, default=12, help="passes over the data (default 12)")
    oracle.add_argument("--batch-size", type=int, default=128)
    oracle.add_argument("--seed", type=int, default=0)
    oracle.set_defaults(func=run_oracle)

    evaluate = subparsers.add_parser("eval", help="measure a generator with the oracle metrics",
                                     description=__doc__.splitlines()[0])
    evaluate.add_argument("target", type=Path, metavar="RUN_OR_MODEL", help="a model folder or a run folder")
    evaluate.add_argument("--data", type=Path, required=True, help="dataset with the real photos")
    evaluate.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="oracle folder (default: shipped)")
    evaluate.add_argument("--checkpoint", default="latest", help="for a run: latest (default) or a checkpoint name")
    evaluate.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated names (default: "
                          f"{','.join(DEFAULT_METRICS)}; on request also density_bounds, class_accuracy, "
                          "scene_shares)")
    evaluate.add_argument("--images", type=int, default=2000, help="real (and generated) images at most")
    evaluate.add_argument("--split", choices=("heldout", "train"), default="heldout")
    evaluate.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where real features are cached")
    evaluate.set_defaults(func=run_eval)

    ceiling = subparsers.add_parser("location-ceiling", help="how much of a place's attributes its location tells",
                                    description="For the photos of the held-out cities, the accuracy of guessing an "
                                                "attribute from the k nearest training cities: the best a generator "
                                                "that knows only the location can do on this data.")
    ceiling.add_argument("--data", type=Path, required=True, help="dataset folder")
    ceiling.add_argument("--attributes", default="biome,density", help="comma-separated (default biome,density)")
    ceiling.add_argument("--neighbours", default="1,3,5,9", help="values of k, comma-separated (default 1,3,5,9)")
    ceiling.add_argument("--photos", choices=("image", "background"),
                         help="also measure, through the oracle like a generator's pictures, the real training "
                              "photos (or backgrounds) of the city the k nearest cities vote for (on the first "
                              "attribute): what pictures as real as the data reach from the location alone")
    ceiling.add_argument("--images", type=int, default=2000, help="with --photos: held-out photos at most")
    ceiling.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="with --photos: the oracle model folder")
    ceiling.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                         help="with --photos: where real features are cached")
    ceiling.set_defaults(func=run_location_ceiling)

    report = subparsers.add_parser("report", help="write the measured runs into a results page",
                                   description="Tables of the oracle metrics and sample grids of training runs "
                                               "(exported and evaluated first) into a Markdown page.")
    report.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR")
    report.add_argument("--exported", type=Path, required=True, help="folder of the runs' exported models")
    report.add_argument("--out", type=Path, default=Path("docs/RESULTS.md"))
    report.add_argument("--images", type=Path, default=Path("docs/img/results"))
    report.set_defaults(func=run_report)


def append_metrics(folder: Path, record: dict) -> None:
    """Append one measurement as a JSON line to the folder's metrics.jsonl, and say so."""
    with open(Path(folder) / METRICS_FILE, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    print(f"appended to {Path(folder) / METRICS_FILE}")


def _check_dataset(path: Path) -> None:
    if not (path / "manifest.jsonl").is_file():
        raise CommandError(ERROR_NOT_DATASET.format(path))


def check_oracle(folder: Path) -> None:
    """A CLI error, before any work, when `folder` holds no oracle model."""
    if not (folder / "config.json").is_file():
        raise CommandError(ERROR_NO_ORACLE.format(folder, folder))


def run_oracle(args) -> int:
    from ml.eval.train_oracle import OracleTrainConfig, train_oracle

    _check_dataset(args.data)
    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(args.out))
    if args.resolution not in (8, 16, 32, 64, 128, 256):
        raise CommandError(ERROR_RESOLUTION.format(args.resolution))
    for name in ("width", "epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise CommandError(ERROR_POSITIVE.format(name.replace("_", "-"), getattr(args, name)))
    config = OracleTrainConfig(data=str(args.data), out=str(args.out), resolution=args.resolution,
                               width=args.width, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    try:
        accuracy = train_oracle(config)
    except ValueError as error:
        raise CommandError(str(error)) from None
    print("held-out accuracy: " + ", ".join(f"{name} {value:.3f}" for name, value in accuracy.items()))
    print(f"wrote {args.out}")
    return 0


def run_location_ceiling(args) -> int:
    from ml.eval.location_ceiling import location_ceiling

    _check_dataset(args.data)
    try:
        neighbours = [int(k) for k in args.neighbours.split(",") if k.strip()]
    except ValueError:
        neighbours = []
    if not neighbours or min(neighbours) < 1:
        raise CommandError(ERROR_NEIGHBOURS.format(args.neighbours))
    attributes = comma_names(args.attributes)
    for attribute in attributes:
        try:
            found = location_ceiling(args.data, attribute, neighbours)
        except ValueError as error:
            raise CommandError(str(error)) from None
        nearest = ", ".join(f"{k}: {accuracy:.3f}" for k, accuracy in found["nearest"].items())
        print(f"{attribute}: {found['photos']} photos of {found['heldout_cities']} held-out cities, "
              f"{found['train_cities']} training cities; k nearest cities vote: {nearest}; "
              f"commonest class: {found['majority']:.3f}")
    if args.photos:
        measure_nearest_photos(args, attributes[0], neighbours)
    return 0


def measure_nearest_photos(args, attribute: str, neighbours: list[int]) -> None:
    """`NearestCityPhotos` for each k, measured like a generator (FID and the class ratios)."""
    from ml.eval.location_ceiling import NearestCityPhotos
    from ml.eval.metrics import evaluate
    from ml.eval.oracle import load_oracle

    if args.images < 2:
        raise CommandError(ERROR_POSITIVE.format("images", args.images))
    check_oracle(args.oracle)
    oracle, oracle_sha256 = load_oracle(args.oracle)
    photos = NearestCityPhotos(args.data, attribute, resolution=oracle.config.resolution, picture=args.photos)
    for k in neighbours:
        photos.k = k
        try:
            found = evaluate(photos, oracle, oracle_sha256, args.data, names=("fid", "conditional_accuracy"),
                             max_images=args.images, cache=args.cache, progress=False, picture=args.photos)
        except ValueError as error:
            raise CommandError(str(error)) from None
        ratios = ", ".join(f"{name} {value['generated']:.3f} / {value['real']:.3f} = {value['ratio']:.2f}"
                           for name, value in found["conditional_accuracy"].items())
        print(f"real {args.photos}s of the city the {k} nearest training cities vote for ({attribute}), "
              f"on {found['images']} held-out photos: FID {found['fid']:.1f}; {ratios}")


def run_eval(args) -> int:
    from ml.eval.metrics import METRICS, evaluate
    from ml.eval.oracle import load_oracle
    from ml.modelfolder import ModelFolderError

    names = comma_names(args.metrics)
    for name in names:
        if name not in METRICS:
            raise CommandError(ERROR_UNKNOWN_METRIC.format(name, ", ".join(METRICS)))
    if args.images < 2:
        raise CommandError(ERROR_POSITIVE.format("images", args.images))
    _check_dataset(args.data)
    check_oracle(args.oracle)
    try:
        oracle, oracle_sha256 = load_oracle(args.oracle)
        pipeline, label, log_folder = load_target(args.target, args.checkpoint)
        results = evaluate(pipeline, oracle, oracle_sha256, args.data, names=names, split=args.split,
                           max_images=args.images, cache=args.cache)
    except (ModelFolderError, ValueError) as error:
        raise CommandError(str(error)) from None
    record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "target": label, **results}
    print(format_results(record))
    append_metrics(log_folder, record)
    return 0


def run_report(args) -> int:
    from ml.eval.report import write_results

    for run in args.runs:
        if not (run / "options.json").is_file() or not (args.exported / run.name / "config.json").is_file():
            raise CommandError(ERROR_REPORT_RUN.format(run, args.exported / run.name))
    try:
        write_results(args.runs, args.exported, args.out, args.images)
    except ValueError as error:
        raise CommandError(str(error)) from None
    print(f"wrote {args.out} and {len(args.runs)} grids into {args.images}")
    return 0


def load_target(path: Path, checkpoint: str):
    """(pipeline, label, folder for metrics.jsonl) of a model folder, or of a run's checkpoint
    (its kind's `checkpoint_pipeline`, from the registry of kinds)."""
    from ml import pipelines
    from ml.train import run_dir
    from ml.train.export import named_checkpoint, read_run_options
    from ml.train.kinds import KINDS

    if (path / "config.json").is_file():
        pipeline = pipelines.load(path)
        return pipeline, f"{path.name} ({pipeline.sha256[:12]})", path
    if not (path / run_dir.OPTIONS_FILE).is_file():
        raise CommandError(ERROR_NOT_MODEL.format(path))
    kind = KINDS.get(read_run_options(path).get("kind"))
    if kind is None or kind.measured_by != "eval":
        raise CommandError(ERROR_NOT_MEASURED_HERE.format(path, kind.measured_by if kind else "none"))
    chosen = named_checkpoint(path, checkpoint)
    label = f"{path.name}/{chosen.name}"
    return kind.function("checkpoint_pipeline")(chosen, run_dir.read_checkpoint_state(chosen), label), label, path


def figure(value: float | None, digits: int = 3, missing: str = "–") -> str:
    return missing if value is None else f"{value:.{digits}f}"


def format_results(record: dict) -> str:
    side = record["resolution"]
    floor = record.get("floor", {})
    lines = [f"{record['target']}: {record['images']} {record['split']} images of {record['data']}, at {side}x{side}"]
    if "fid" in record:
        lines.append(f"  FID (oracle features)  {record['fid']:.3f}" + _floor_text(floor, "fid"))
    if "kid" in record:
        lines.append(f"  KID (oracle features)  {record['kid']:.5f} ± {record['kid_std']:.5f}"
                     + _floor_text(floor, "kid", digits=5))
    if "precision" in record:
        pair = " / ".join(figure(record[name], missing="n/a") for name in ("precision", "recall"))
        lines.append(f"  precision / recall     {pair} (k={record['neighbours']})"
                     + _floor_text(floor, "precision", "recall"))
    for name, figures in record.get("conditional_accuracy", {}).items():
        lines.append(f"  conditional accuracy, {name:<8} generated {figures['generated']:.3f}  "
                     f"real {figures['real']:.3f}  ratio {figure(figures['ratio'], 2, 'n/a')}")
    if bounds := record.get("density_bounds"):
        for name, where in (("near", "within"), ("far", "beyond")):
            figures = bounds[name]
            lines.append(f"  density, {where} {bounds['decades']:g} decades of a class bound ({figures['places']} "
                         f"places): generated {figure(figures['generated'])}  real {figure(figures['real'])}  "
                         f"ratio {figure(figures['ratio'], 2, 'n/a')}")
    for name, classes in record.get("class_accuracy", {}).items():
        for class_name, figures in classes.items():
            misread = (f"; misread most as {figures['misread_as']} ({figures['misread_share']:.2f})"
                       if "misread_as" in figures else "")
            lines.append(f"  {name} {class_name} ({figures['places']} places): generated {figure(figures['generated'])}  "
                         f"real {figure(figures['real'])}  ratio {figure(figures['ratio'], 2, 'n/a')}{misread}")
    for name, shares in record.get("scene_shares", {}).items():
        lines.append(f"  {name} shares, generated / real (total variation {shares['total_variation']:.2f}):")
        for class_name, figures in shares["classes"].items():
            edges = (f"; variance of the Laplacian {figure(figures['laplacian_variance_generated'], 0, '-')} / "
                     f"{figure(figures['laplacian_variance_real'], 0, '-')}" if "laplacian_variance_real" in figures else "")
            lines.append(f"    {class_name:<12} {figures['generated']:.3f} / {figures['real']:.3f}{edges}")
    lines += format_edge_strength(record.get("edge_strength"))
    return "\n".join(lines)


def _floor_text(floor: dict, name: str, second: str | None = None, digits: int = 3) -> str:
    """`  floor (real vs real) X` (or `X / Y`): the figure between two halves of the real photos."""
    if name not in floor:
        return ""
    text = " / ".join(figure(floor[key], digits, "n/a") for key in (name, second) if key)
    return f"  floor (real vs real) {text}"


def format_edge_strength(figures: dict | None) -> list[str]:
    """The printed lines of an `edge_strength` record (none if absent): at the pictures' side,
    then at half of it (both shrunk alike), or why it was not measured."""
    if not figures:
        return []
    if "not_measured" in figures:
        return [f"  edge strength at {figures['resolution']} px: not measured: {figures['not_measured']}"]
    lines = [f"  edge strength at {figures['resolution']} px:"] if "resolution" in figures else []
    for name, label in (("laplacian_variance", "variance of the Laplacian"), ("mean_gradient", "mean gradient"),
                        ("checkerboard", "checkerboard (period 2)")):
        if name not in figures["generated"]:  # a record from before it was measured
            continue
        lines.append(f"  {label:<25} generated {figures['generated'][name]:.1f}  real {figures['real'][name]:.1f}  "
                     f"ratio {figure(figures['ratio'][name], 2, 'n/a')}")
    if "half" in figures:
        half = format_edge_strength(figures["half"])
        half[0] = f"  edge strength at {figures['half']['resolution']} px, both shrunk alike (2x2 means):"
        lines += half
    return lines
