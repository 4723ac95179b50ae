"""`python -m ml landuse ...`: the research's land-use comparison, and the oracle's land-use target.

    python -m ml landuse --conditional MODEL --unconditional MODEL --data DIR
        [--target MODEL ...] [--oracle FOLDER] [--images 4000] [--out docs/RESULTS.md]

MODEL folders are exported `ground` runs of equal budget, the second trained with
`--no-conditional`; the oracle's land-use target is measured on the first and on every
`--target` model (such as the shipped demo). The figures are printed as JSON and written as the `ground-landuse` section
of the results page (`ml.sections.write_section`); the rest of the page is kept.
"""
from __future__ import annotations

import json
import shlex
from pathlib import Path

from ml.cli import CommandError
from ml.eval.cli import DEFAULT_ORACLE, ERROR_POSITIVE, check_oracle

SECTION = "ground-landuse"
# Deng, Zhu and Newsam (2018), table of land-use classification accuracy.
RESEARCH = {"interpolated": "65%", "gan": "68%", "cgan": "70%", "cgan_discriminator": "73%"}
ROW_NAMES = {
    "interpolated": "(a) features interpolated from the 5 nearest places with photos",
    "gan": "(b) features of images from an unconditional GAN",
    "cgan": "(c) features of cGAN-generated ground views",
    "cgan_discriminator": "(d) the cGAN discriminator's features",
}
ERROR_NOT_GROUND = "{} is not a ground model folder (python -m ml export RUN --out FOLDER)"


def register(subparsers) -> None:
    parser = subparsers.add_parser("landuse", help="compare four ways to classify land use without photos",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--conditional", type=Path, required=True, help="exported ground model (cGAN)")
    parser.add_argument("--unconditional", type=Path, required=True, help="exported ground model trained unconditional")
    parser.add_argument("--data", type=Path, required=True, help="GeoScenes dataset with overhead tiles")
    parser.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE, help="oracle folder (default: shipped)")
    parser.add_argument("--target", type=Path, action="append", default=[],
                        help="another ground model whose oracle land-use target to measure (repeatable)")
    parser.add_argument("--images", type=int, default=4000, help="training pairs the classifiers are fitted on, at most")
    parser.add_argument("--out", type=Path, default=Path("docs/RESULTS.md"), help="page to write the section into")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=run_landuse)


def _load(folder: Path):
    from ml import pipelines
    from ml.modelfolder import ModelFolderError

    try:
        pipeline = pipelines.load(folder)
    except ModelFolderError as error:
        raise CommandError(str(error)) from None
    if pipeline.kind != "ground":
        raise CommandError(ERROR_NOT_GROUND.format(folder))
    return pipeline


def run_landuse(args) -> int:
    from ml.eval.ground_landuse import compare, oracle_target, view_quality
    from ml.eval.oracle import load_oracle
    from ml.train.ground import load_pairs

    if args.images < 1:
        raise CommandError(ERROR_POSITIVE.format("images", args.images))
    check_oracle(args.oracle)
    conditional, unconditional = _load(args.conditional), _load(args.unconditional)
    resolution = conditional.resolution
    train = load_pairs(args.data, resolution, "train", max_images=args.images)
    heldout = load_pairs(args.data, resolution, "heldout")
    oracle, _ = load_oracle(args.oracle)
    result = compare(conditional.model, unconditional.model, oracle, train, heldout, seed=args.seed)
    result["targets"] = {}
    for folder in args.target:
        model = _load(folder).model
        result["targets"][str(folder)] = {**oracle_target(model, oracle, heldout, seed=args.seed),
                                          **view_quality(model, oracle, heldout, seed=args.seed)}
    result["oracle"].update(view_quality(conditional.model, oracle, heldout, seed=args.seed))
    result["models"] = {"conditional": conditional.config.get("training"), "unconditional": unconditional.config.get("training")}
    print(json.dumps(result, indent=2))
    from ml.sections import write_section

    write_section(args.out, SECTION, section_text(result, args), title="Results")
    print(f"wrote the {SECTION} section of {args.out}")
    return 0


def section_text(result: dict, args) -> str:
    from ml.eval.report import FIDELITY_COLUMNS

    rows, oracle = result["rows"], result["oracle"]
    order = sorted(rows, key=lambda name: -rows[name]["land_use"])
    lines = [
        "### Land use of places with no photos",
        "",
        f"A classifier of land use (GeoScenes' building density: village, town, city, megacity; a village "
        f"is rural) fitted on {result['train_images']} training places and scored on the "
        f"{result['heldout_images']} views of {result['heldout_cities']} held-out cities, the same places "
        f"for every row. Image features for (a)-(c) are the oracle's; (d) reads the discriminator of the "
        f"ground cGAN, whose features of a (generated view, tile) pair include its own encoding of the "
        f"overhead tile, as in the research. (b) and (c) come from two runs of equal budget "
        f"({_budget(result['models']['unconditional'])} and {_budget(result['models']['conditional'])}), "
        f"the first trained with `--no-conditional`.",
        "",
        "| way | land use (4 classes) | urban / rural | the research reported |",
        "|---|---:|---:|---:|",
    ]
    for name in ROW_NAMES:
        lines.append(f"| {ROW_NAMES[name]} | {rows[name]['land_use']:.1%} | {rows[name]['urban_rural']:.1%} "
                     f"| {RESEARCH[name]} |")
    lines += [
        "",
        f"For scale: always answering the most common training class ({result['majority']['class']}) scores "
        f"{result['majority']['land_use']:.1%} on the same held-out places.",
        "",
        "Order measured here, best first: " + " > ".join(f"({chr(97 + list(ROW_NAMES).index(n))})" for n in order)
        + " (the research: (d) > (c) > (b) > (a)).",
        "",
        f"**Target**: the oracle's land-use accuracy on generated views of the held-out places against "
        f"{oracle['real']:.1%} on their real ground views; at least {oracle['target']:.2f} of it is the target.",
        "",
        "| generator | oracle land-use accuracy on its views | ratio to real | target | FID of its views "
        "| two seeds' views of a tile differ by | " + " | ".join(FIDELITY_COLUMNS) + " |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
        _target_row(f"the cGAN of rows (c) and (d) (`{args.conditional}`)", oracle),
        *(_target_row(f"`{folder}`", figures) for folder, figures in result["targets"].items()),
        "",
        f"What the target does not see: the FID of the views against the real views of the same places, in "
        f"the oracle's features (lower is nearer), and the mean absolute pixel difference (0 to 1) between "
        f"the views two seeds paint of one tile (0: the latent changes nothing; for scale, the real views "
        f"of neighbouring held-out rows, other spots, differ by {oracle['diversity']['real']:.3f}). Precision / "
        f"recall (k-nearest-neighbour manifolds, Kynkäänniemi et al. 2019), the same distances between two halves "
        f"of the real views (real vs real) and the edge strength of the views over the real ones' "
        f"(`ml/eval/fidelity.py`).",
        "",
        "Measured with:",
        "",
        "```bash",
        _command(args),
        "```",
    ]
    return "\n".join(lines)


def _target_row(name: str, figures: dict) -> str:
    from ml.eval.report import fidelity_cells

    met = figures["ratio"] is not None and figures["ratio"] >= figures["target"]
    return (f"| {name} | {figures['generated']:.1%} | {figures['ratio']:.2f} | "
            f"{'met' if met else 'missed'} | {figures['fid']:.1f} | {figures['diversity']['generated']:.3f} | "
            + " | ".join(fidelity_cells(figures)) + " |")


def _budget(training: dict | None) -> str:
    return f"{training['kimg']:g} kimg" if training else "unknown budget"


def _command(args) -> str:
    targets = [part for folder in args.target for part in ("--target", str(folder))]
    return shlex.join(["python", "-m", "ml", "landuse", "--conditional", str(args.conditional), "--unconditional",
                       str(args.unconditional), *targets, "--data", str(args.data), "--images", str(args.images)])
