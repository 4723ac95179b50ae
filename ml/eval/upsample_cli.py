"""`python -m ml eval-upsample MODEL --data DIR --target DIR [--generator MODEL] [--split train] [--grid PNG]`:
the learned upsampler against bicubic enlargement (`ml.eval.upsample_metrics`).

`--data` and `--target` are the same GeoScenes scenes at the model's side and at `scale` times
it (as `python -m ml train upsample` takes them); their held-out cities are measured, or with
`--split train` the training cities (to choose among a run's checkpoints without looking at the
held-out ones). With
`--generator` (a place model folder), its pictures of those places are enlarged too. The figures
are printed and appended as one JSON line to the model folder's `metrics.jsonl`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ml.cli import CommandError
from ml.eval.cli import DEFAULT_ORACLE, ERROR_POSITIVE, append_metrics, check_oracle

ERROR_NOT_UPSAMPLER = "{} is a model of kind {!r}; eval-upsample measures an upsample model"


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval-upsample", help="measure an upsampler against bicubic",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, metavar="MODEL", help="an upsample model folder")
    parser.add_argument("--data", type=Path, required=True, help="GeoScenes at the model's side")
    parser.add_argument("--target", type=Path, required=True, help="the same scenes at scale times the side")
    parser.add_argument("--generator", type=Path, help="a place model folder whose pictures are enlarged too")
    parser.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="oracle folder (default: shipped)")
    parser.add_argument("--images", type=int, default=1000, help="scenes at most (default 1000)")
    parser.add_argument("--split", choices=("heldout", "train"), default="heldout",
                        help="the cities measured (default heldout)")
    parser.add_argument("--grid", type=Path, metavar="PNG",
                        help="also write a grid for the eye (`ml.eval.upsample_metrics.comparison_grid`)")
    parser.set_defaults(func=run_eval_upsample)


def run_eval_upsample(args) -> int:
    from ml.eval.oracle import load_oracle
    from ml.eval.upsample_metrics import comparison_grid, enlargement, generated
    from ml.modelfolder import ModelFolderError
    from ml.pipelines import load
    from ml.train.upsample import load_pairs

    if args.images < 2:
        raise CommandError(ERROR_POSITIVE.format("images", args.images))
    check_oracle(args.oracle)
    try:
        pipeline = load(args.model)
        if pipeline.kind != "upsample":
            raise CommandError(ERROR_NOT_UPSAMPLER.format(args.model, pipeline.kind))
        oracle, oracle_sha256 = load_oracle(args.oracle)
        low, high = load_pairs(args.data, args.target, pipeline.network.config, args.split, max_images=args.images)
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "target": pipeline.sha256,
                  "oracle_sha256": oracle_sha256, "data": low.summary["name"], "split": args.split,
                  **enlargement(pipeline, oracle, low, high)}
        painter = load(args.generator) if args.generator is not None else None
        if painter is not None:
            record["generated"] = generated(pipeline, oracle, painter, low, high)
        if args.grid is not None:
            args.grid.parent.mkdir(parents=True, exist_ok=True)
            comparison_grid(pipeline, low, high, painter).save(args.grid)
    except (ModelFolderError, ValueError) as error:
        raise CommandError(str(error)) from None
    print(format_record(record))
    append_metrics(args.model, record)
    return 0


def format_record(record: dict) -> str:
    cities = "held-out" if record["split"] == "heldout" else "training-city"
    lines = [f"{record['images']} {cities} scenes of {record['data']}, enlarged to {record['side']}x{record['side']}:",
             f"  {'':<10} {'PSNR dB':>8} {'FID':>8} {'precision':>9} {'recall':>7} {'edge ratio (Laplacian var; gradient)':>38}"]
    for name in ("upsampler", "bicubic"):
        figures = record[name]
        ratio = figures["edge_strength"]["ratio"]
        lines.append(f"  {name:<10} {figures['psnr']:>8.2f} {figures['fid']:>8.2f} {figures['precision']:>9.3f} "
                     f"{figures['recall']:>7.3f} {ratio['laplacian_variance']:>26.3f}; {ratio['mean_gradient']:.3f}")
    if "generated" in record:
        result = record["generated"]
        lines.append(f"  a generator's {result['native_side']}px pictures, oracle's conditional accuracy:")
        for name in ("native", "upsampler", "bicubic"):
            accuracy = result[name]["conditional_accuracy"]
            edges = result[name].get("edge_strength")
            edge_text = (f"  edge ratio {edges['ratio']['laplacian_variance']:.3f}; {edges['ratio']['mean_gradient']:.3f}"
                         if edges else "")
            lines.append(f"    {name:<10} " + "  ".join(f"{k} {v:.3f}" for k, v in accuracy.items()) + edge_text)
        lines.append("    drop after the upsampler: " + "  ".join(f"{k} {v:+.3f}" for k, v in result["accuracy_drop"].items()))
    return "\n".join(lines)
