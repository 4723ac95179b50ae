"""Command line of the ML package: `python -m ml <command> ...`.

Each command lives in its own module, which exposes `register(subparsers)`; the module is
imported only when the CLI starts, so `import ml` stays cheap.
"""
import argparse
import importlib
import sys

COMMAND_MODULES = [
    "ml.data.geoscenes.cli",
    "ml.train.cli",
    "ml.data.ingest.cli",
    "ml.eval.cli",
    "ml.eval.ground_cli",
    "ml.data.overhead_tiles",
    "ml.eval.edit_cli",
    "ml.eval.upsample_cli",
    "ml.eval.budget",
    "ml.eval.visitor_grid",
    "ml.eval.compose_grid",
    "ml.eval.compose_cli",
    "ml.recipe",
]


class CommandError(Exception):
    """A user-facing error: printed as one line, exit status 2, no traceback."""


ERROR_CITIES = "--cities must be a positive integer or 'all', got {!r}"
ERROR_SHARD_SIZE = "--shard-size must be a non-negative integer, got {}"


def parse_city_count(text: str) -> int | None:
    """The value of `--cities N|all`: a positive count, or None for all cities."""
    if text.strip().lower() == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        raise CommandError(ERROR_CITIES.format(text)) from None
    if count < 1:
        raise CommandError(ERROR_CITIES.format(text))
    return count


def comma_names(text: str) -> list[str]:
    """The names of a comma-separated option value (`biome,density`), stripped, empty ones dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def option_names(text: str) -> list[str]:
    """`comma_names` of an option value that may be `none` (no names)."""
    return [] if text.strip().lower() == "none" else comma_names(text)


def flag(name: str) -> str:
    """The command-line option of a config field: `batch_size` -> `--batch-size`."""
    return "--" + name.replace("_", "-")


def check_shard_size(size: int) -> None:
    """`--shard-size N` of the dataset writers: N samples per tar shard, 0 for none."""
    if size < 0:
        raise CommandError(ERROR_SHARD_SIZE.format(size))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
