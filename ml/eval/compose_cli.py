"""`python -m ml eval-compose MODEL --data DIR`: object accuracy, backgrounds, whole scenes and diversity of a
compose model on held-out cities (`ml.eval.compose_metrics`).

`--data` is a GeoScenes folder written with `--steps` at the model's side; its training cities
teach the crop classifier, its held-out cities are measured. A single-shot model (which paints no
steps) is measured on its backgrounds and whole scenes only. The figures are printed and appended
as one JSON line to the model folder's `metrics.jsonl`.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ml.cli import CommandError
from ml.eval.cli import DEFAULT_CACHE, DEFAULT_ORACLE, ERROR_POSITIVE, append_metrics, check_oracle

DIVERSITY_LAYOUTS = 100  # held-out layouts painted with several seeds
DIVERSITY_SEEDS = 4  # seeds per layout: as many pictures as GeoScenes renders of one city
ERROR_NOT_COMPOSE = "{} is a model of kind {!r}; eval-compose measures a compose model"
ERROR_DIVERSITY_SEEDS = "--diversity-seeds must be at least 2 (a distance needs two pictures), not {}"


def register(subparsers) -> None:
    parser = subparsers.add_parser("eval-compose", help="measure a compose model's object accuracy",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, metavar="MODEL", help="a compose model folder")
    parser.add_argument("--data", type=Path, required=True, help="GeoScenes with --steps at the model's side")
    parser.add_argument("--per-category", type=int, default=3,
                        help="steps kept per category and scene, as training keeps them (default 3)")
    parser.add_argument("--steps", type=int, default=1000, help="held-out steps painted at most (default 1000)")
    parser.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="oracle folder (default: shipped)")
    parser.add_argument("--images", type=int, default=300,
                        help="held-out scenes at most for backgrounds and whole scenes (default 300)")
    parser.add_argument("--diversity-layouts", type=int, default=DIVERSITY_LAYOUTS,
                        help=f"held-out layouts each painted with several seeds (default {DIVERSITY_LAYOUTS})")
    parser.add_argument("--diversity-seeds", type=int, default=DIVERSITY_SEEDS,
                        help=f"seeds per layout, at least 2 (default {DIVERSITY_SEEDS})")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where real features are cached")
    parser.set_defaults(func=run_eval_compose)


def run_eval_compose(args) -> int:
    from ml.eval.compose_metrics import diversity, object_accuracy, quality
    from ml.eval.oracle import load_oracle
    from ml.modelfolder import ModelFolderError
    from ml.pipelines import load
    from ml.train.compose import load_steps

    for name in ("per_category", "images", "steps", "diversity_layouts"):
        if getattr(args, name) < 1:
            raise CommandError(ERROR_POSITIVE.format(name.replace("_", "-"), getattr(args, name)))
    if args.diversity_seeds < 2:
        raise CommandError(ERROR_DIVERSITY_SEEDS.format(args.diversity_seeds))
    check_oracle(args.oracle)
    try:
        pipeline = load(args.model)
        if pipeline.kind != "compose":
            raise CommandError(ERROR_NOT_COMPOSE.format(args.model, pipeline.kind))
        oracle, oracle_sha256 = load_oracle(args.oracle)
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "target": pipeline.sha256,
                  "data": Path(args.data).resolve().name, "split": "heldout"}
        if not pipeline.model.config.single_shot:  # a single-shot model paints no steps
            train, heldout = (load_steps(args.data, pipeline.model.config, split, per_category=args.per_category,
                                         progress=True) for split in ("train", "heldout"))
            record["object_accuracy"] = object_accuracy(pipeline, train, heldout, max_steps=args.steps, progress=True)
        record.update(quality(pipeline, oracle, oracle_sha256, args.data, max_images=args.images, cache=args.cache,
                              progress=True))
        record["diversity"] = diversity(pipeline, oracle, oracle_sha256, args.data, max_images=args.images,
                                        cache=args.cache, layouts=args.diversity_layouts, seeds=args.diversity_seeds,
                                        progress=True)
    except (ModelFolderError, ValueError) as error:
        raise CommandError(str(error)) from None
    print(json.dumps(record, indent=2))
    append_metrics(args.model, record)
    return 0
