"""`python -m ml geoscenes`: render a GeoScenes dataset folder."""
from __future__ import annotations

import argparse
from pathlib import Path

from ml.cli import ERROR_CITIES, CommandError, check_shard_size, comma_names, parse_city_count  # noqa: F401 (ERROR_CITIES: re-exported)
from ml.data.cities import world_cities
from ml.data.geoscenes.places import select_cities
from ml.data.geoscenes.render import DEFAULT_VARIED, MAX_SIZE, MIN_SIZE, VARIED
from ml.data.geoscenes.writer import write_dataset

ERROR_PER_CITY = "--per-city must be a positive integer, got {}"
ERROR_SIZE = f"--size must be within [{MIN_SIZE}, {MAX_SIZE}], got {{}}"
ERROR_SEED = "--seed must be a non-negative integer, got {}"
ERROR_MIN_POPULATION = "--min-population must be a non-negative integer, got {}"
ERROR_WORKERS = "--workers must be a positive integer, got {}"
ERROR_OUT_NOT_EMPTY = "--out {} exists and is not empty; choose a new folder"
ERROR_OUT_NOT_DIR = "--out {} exists and is not a folder"
ERROR_NO_CITIES = "no city has at least {} inhabitants"
ERROR_VARIANTS = "--variants: no attribute {} can vary; choose among {}"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "geoscenes", help="render a synthetic GeoScenes dataset",
        description="Render K photos of each of N cities (spread over the world) with their "
                    "attributes, layers, captions and overhead tiles.")
    parser.add_argument("--cities", required=True, help="how many cities, or 'all'")
    parser.add_argument("--per-city", type=int, required=True, help="photos per city")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels (default 64)")
    parser.add_argument("--out", type=Path, required=True, help="new or empty output folder")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    parser.add_argument("--min-population", type=int, default=15000,
                        help="smallest city population considered (default 15000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--shard-size", type=int, default=0,
                        help="also write tar shards of N samples, for streamed training (default 0: none)")
    parser.add_argument("--background", action="store_true",
                        help="also write each scene without its foreground objects (backgrounds/)")
    parser.add_argument("--steps", action="store_true",
                        help="also write the foreground added one object at a time (steps/; "
                             "implies --background)")
    parser.add_argument("--variants", nargs="?", const=",".join(DEFAULT_VARIED), default="", metavar="ATTRIBUTES",
                        help="also write each scene with every other value of each of these attributes "
                             f"({', '.join(VARIED)}; without a list: {','.join(DEFAULT_VARIED)}), the rest "
                             "kept (variants/; what the edit generator's one-value edits learn from)")
    parser.set_defaults(func=run)


def check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CommandError(ERROR_OUT_NOT_DIR.format(out))
    if out.is_dir() and any(out.iterdir()):
        raise CommandError(ERROR_OUT_NOT_EMPTY.format(out))


def parse_variants(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(comma_names(text)))
    unknown = [name for name in names if name not in VARIED]
    if unknown:
        raise CommandError(ERROR_VARIANTS.format(", ".join(unknown), ", ".join(VARIED)))
    return names


def run(args: argparse.Namespace) -> int:
    count = parse_city_count(args.cities)
    if args.per_city < 1:
        raise CommandError(ERROR_PER_CITY.format(args.per_city))
    if not MIN_SIZE <= args.size <= MAX_SIZE:
        raise CommandError(ERROR_SIZE.format(args.size))
    if args.seed < 0:
        raise CommandError(ERROR_SEED.format(args.seed))
    if args.min_population < 0:
        raise CommandError(ERROR_MIN_POPULATION.format(args.min_population))
    if args.workers < 1:
        raise CommandError(ERROR_WORKERS.format(args.workers))
    check_shard_size(args.shard_size)
    variants = parse_variants(args.variants)
    check_out(args.out)
    cities = select_cities(count, args.min_population)
    if not cities:
        raise CommandError(ERROR_NO_CITIES.format(args.min_population))
    every_city = count is None or count >= len(world_cities(args.min_population))
    options = {"cities": "all" if count is None else count, "per_city": args.per_city, "size": args.size,
               "seed": args.seed, "min_population": args.min_population,
               "city_selection": "all" if every_city else "farthest-point"}
    compose = "steps" if args.steps else ("background" if args.background else "none")
    if compose != "none":  # only then, so that the options of existing datasets keep their bytes
        options["compose"] = compose
    if variants:
        options["variants"] = list(variants)
    total = write_dataset(args.out, cities=cities, per_city=args.per_city, size=args.size, seed=args.seed,
                          args=options, workers=args.workers, shard_size=args.shard_size, compose=compose,
                          variants=variants)
    print(f"wrote {total} samples of {len(cities)} cities to {args.out}")
    return 0
