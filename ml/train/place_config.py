"""The `place` kind's run: its config, its progressive schedule and its registry entry (no torch needed).

`PlaceTrainConfig` is the one typed config of a run: the shared fields (`ml.train.run_config`)
and every hyper-parameter of the progressive loop with its default, checked once by the command
line (`ml.train.launch`). `phase_at` maps the number of real images shown so far to the phase of
progressive growing. `PLACE` is the kind's entry in the registry (`ml.train.kinds`).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from ml.cli import CommandError, option_names, parse_city_count
from ml.models.configs import PlaceConfig, ascending_populations
from ml.train.checks import check_power_of_two, dataset_classes
from ml.train.options import Kind
from ml.train.run_config import AdversarialOptions, ModeSeekingOptions, PatchCriticOptions, RunConfig

KIND = "place"
ERROR_START_RESOLUTION = "--start-resolution {} is above --resolution {}"
ERROR_TWIN_NEEDS_HEAD = ("--twin-class-weight needs --context-head: the twin reads the generator's pictures "
                         "as the critic's class head reads the photos")
ERROR_SHARES_NEED_TEACHER = "--class-teacher-shares needs --class-teacher: the teacher reads the shares"
ERROR_SHARES_ATTRIBUTE = ("--class-teacher-shares: {!r} is {}; give attributes of the dataset ({}) that the "
                          "context head does not read")
ERROR_TEACHER_NEEDS_HEAD = ("--class-teacher needs --context-head: the teacher reads the attributes the head "
                            "reads, with the dataset's class indices")
ERROR_SPECTRUM_BY = ("--spectrum-by: {!r} is not one of --class-teacher-shares ({}): the teacher reads the "
                     "pictures' classes of the attributes it shares")
ERROR_SPECTRUM_BY_WEIGHT = "--spectrum-by needs --spectrum-weight above 0: it groups the spectrum term"
ERROR_SPECTRUM_RINGS = "--spectrum-rings {!r} is not one of {}"
ERROR_SPECTRUM_RINGS_WEIGHT = "--spectrum-rings needs --spectrum-weight above 0: it weighs the spectrum term's rings"
ERROR_WARMUP_NEEDS_GENERATOR = ("--critic-warmup-kimg needs --generator-from: it gives a critic from another "
                                "run time to learn the model's pictures before the generator hears from it")


def population_bounds(text: str) -> list[int]:
    """--context-population-steps: ascending whole populations separated by commas, or none."""
    if text.strip().lower() == "none":
        return []
    try:
        bounds = [int(part) for part in text.split(",")]
    except ValueError:
        bounds = []
    if not bounds or not ascending_populations(bounds):
        raise argparse.ArgumentTypeError(f"expected ascending positive populations such as 50000,300000,3000000 "
                                         f"(or none), got {text!r}")
    return bounds


@dataclass
class PlaceTrainConfig(ModeSeekingOptions, PatchCriticOptions, AdversarialOptions, RunConfig):
    model: PlaceConfig = field(default_factory=PlaceConfig)  # the networks' architecture
    cities: int | None = None  # curriculum: the first N cities of the dataset (None: all)
    max_kimg: float | None = None  # stop here (None: at the end of the last stable phase)
    context_weight: float = 1.0  # weight of the place-class loss of both players (architecture's context_head)
    twin_class_weight: float = 0.0  # TAC-GAN's twin head on the generator's pictures (`ml.train.twin_classifier`)
    class_teacher: str = "none"  # a frozen classifier (oracle folder) the generator's pictures are read by
    class_teacher_weight: float = 1.0  # weight of its cross-entropy in the generator's loss (`ml.train.class_teacher`)
    class_teacher_shares: str = "none"  # attributes the place does not decide, read in the photos' shares per batch
    spectrum_weight: float = 0.0  # at full size, the pictures' spectrum against the photos' (`SpectrumLoss`; 0: off)
    spectrum_by: str = "none"  # attributes of --class-teacher-shares whose classes are matched one by one
    spectrum_rings: str = "uniform"  # how the spectrum term weighs its rings (`SpectrumLoss.rings`)
    critic_warmup_kimg: float = 0.0  # with --generator-from: the critic alone for this many kimg first
    start_resolution: int = 4  # resolution the growing starts at
    fade_kimg: float = 600.0  # thousands of real images per fade-in phase
    stable_kimg: float = 600.0  # thousands of real images per stable phase
    stream: bool = False  # stream the dataset's tar shards instead of decoding it into memory (large data)
    data_workers: int = 0  # processes decoding the stream per rank (0: the training process itself)
    reset_optimizers_on_grow: bool = True  # fresh Adam moments at each new resolution (ProGAN)
    sample_kimg: float = 50.0  # a sample grid every this many kimg (and at each phase's end)
    snapshot_kimg: float = 200.0  # a checkpoint every this many kimg (and at the end)

    NON_NEGATIVE = ("context_weight", "twin_class_weight", "class_teacher_weight", "spectrum_weight",
                    "critic_warmup_kimg", "fade_kimg", "stable_kimg", "data_workers")
    SPECIAL_OPTIONS = ("cities",)  # --cities N|all
    NOTES = {"class_teacher": "none; an oracle-kind model folder (python -m ml oracle) trained on the run's "
                              "training photos: the generator also pays its cross-entropy of the --context-head "
                              "classes of the places asked for",
             "class_teacher_shares": "none; comma-separated attributes of the dataset the place does not decide "
                                     "(weather,time_of_day): the teacher reads them too, and each batch of pictures "
                                     "should show their classes in the shares of the photos of the same places",
             "spectrum_weight": "0; at full size the generator pays for a batch spectrum (radial power of the "
                                "luminance) unlike the photos', too weak (blur) or too strong (grain)",
             "spectrum_by": "none; comma-separated attributes of --class-teacher-shares (time_of_day,weather): the "
                            "spectrum is matched class by class, the photos by their labels, the pictures by the "
                            "teacher's reading, so that night pictures have the detail of night photos",
             "spectrum_rings": "uniform: every ring of the spectrum term counts alike; or laplacian: each counts as "
                               "its share of the edge strength (the Laplacian's response), the finest most",
             "critic_warmup_kimg": "0; only with --generator-from: the generator and G_ema wait while a critic "
                                   "from another run learns the model's pictures"}

    @property
    def start_stage(self) -> int:
        return self.start_resolution.bit_length() - 3  # 4 -> 0, 8 -> 1, ...

    def schedule_kimg(self) -> float:
        """kimg at the end of the last stable phase: the default length of a run."""
        grown = self.model.num_stages - 1 - self.start_stage
        return self.stable_kimg + grown * (self.fade_kimg + self.stable_kimg)

    def total_nimg(self) -> int:
        return round(1000 * (self.schedule_kimg() if self.max_kimg is None else self.max_kimg))


@dataclass(frozen=True)
class Phase:
    stage: int  # index of the resolution being trained (0 = 4x4)
    alpha: float  # fade-in of that stage's layers; 1 when stable
    resolution: int
    fading: bool

    @property
    def name(self) -> str:
        return f"{'fade' if self.fading else 'stable'}-{self.resolution}"


def phase_at(nimg: int, config: PlaceTrainConfig) -> Phase:
    """The phase after `nimg` real images: stable at the start resolution, then fade + stable
    per doubling; the last resolution stays stable for the rest of the run."""
    model, last = config.model, config.model.num_stages - 1
    fade, stable = round(config.fade_kimg * 1000), round(config.stable_kimg * 1000)
    stage, left = config.start_stage, nimg - stable
    while left >= 0 and stage < last:
        stage += 1
        if left < fade:
            alpha = left / fade
            return Phase(stage, alpha, model.stage_resolution(stage), fading=True)
        left -= fade + stable
    return Phase(stage, 1.0, model.stage_resolution(stage), fading=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cities", help="curriculum: train on the first N cities (1, 25, ...) or all (default all)")


def check_options(args: argparse.Namespace, values: dict, model: PlaceConfig, resume_state: dict | None) -> dict:
    """The schedule fits the architecture, a twin class head has a head to be the twin of, a class
    teacher reads the head's classes; the curriculum as given, else the resumed run's."""
    check_power_of_two("start_resolution", values["start_resolution"])
    if values["start_resolution"] > model.resolution:
        raise CommandError(ERROR_START_RESOLUTION.format(values["start_resolution"], model.resolution))
    if values["twin_class_weight"] and not model.context_head:
        raise CommandError(ERROR_TWIN_NEEDS_HEAD)
    if values["class_teacher"] != "none":
        from ml.train.class_teacher import load_teacher  # torch, only when asked for

        if not model.context_head:
            raise CommandError(ERROR_TEACHER_NEEDS_HEAD)
        load_teacher(values["class_teacher"], {**model.context_head, **teacher_shares(values, args.data, model)})
    elif values["class_teacher_shares"] != "none":
        raise CommandError(ERROR_SHARES_NEED_TEACHER)
    if option_names(values["spectrum_by"]) and not values["spectrum_weight"]:
        raise CommandError(ERROR_SPECTRUM_BY_WEIGHT)
    for name in option_names(values["spectrum_by"]):
        if name not in option_names(values["class_teacher_shares"]):
            raise CommandError(ERROR_SPECTRUM_BY.format(name, values["class_teacher_shares"]))
    if values["spectrum_rings"] != "uniform":
        from ml.train.losses import RING_WEIGHTS  # torch, only when asked for

        if values["spectrum_rings"] not in RING_WEIGHTS:
            raise CommandError(ERROR_SPECTRUM_RINGS.format(values["spectrum_rings"], ", ".join(RING_WEIGHTS)))
        if not values["spectrum_weight"]:
            raise CommandError(ERROR_SPECTRUM_RINGS_WEIGHT)
    if args.critic_warmup_kimg and args.generator_from is None:
        raise CommandError(ERROR_WARMUP_NEEDS_GENERATOR)
    resumed = resume_state.get("train", {}) if resume_state else {}
    return {"cities": parse_city_count(args.cities) if args.cities is not None else resumed.get("cities")}


def teacher_shares(values: dict, data: str, model: PlaceConfig) -> dict[str, list]:
    """The attributes of `--class-teacher-shares` with the dataset's class names of each."""
    if not option_names(values["class_teacher_shares"]):
        return {}
    classes = dataset_classes(Path(data))
    shares = {}
    for name in option_names(values["class_teacher_shares"]):
        if name in model.context_head or name not in classes:
            raise CommandError(ERROR_SHARES_ATTRIBUTE.format(
                name, "read by the context head" if name in model.context_head else "not in the dataset",
                ", ".join(classes)))
        shares[name] = list(classes[name])
    return shares


PLACE = Kind(
    name=KIND, config=PlaceTrainConfig, module="ml.train.place",
    help="train the place generator (progressive WGAN-GP)",
    description="Train the location-conditional place generator.", data_help="dataset folder",
    architecture={"resolution": int, "latent_dim": int, "fmap_base": int, "fmap_max": int, "fmap_min": int,
                  "context_frequencies": int, "context_embed_dim": int, "context_noise_std": float,
                  "conditional": bool, "condition_blocks": bool, "noise_stages": int, "noise_gates": bool,
                  "context_population": bool,
                  "context_population_steps": population_bounds, "context_climate": bool, "context_head": str},
    architecture_help={
        "conditional": "condition on the place (default on; off: the unconditional ablation)",
        "condition_blocks": "the place also shifts every generator stage's features (default off)",
        "noise_stages": "N: the N finest generator stages also add per-pixel noise maps (drawn from the latent, so a "
                        "seed still fixes the picture) with learned strengths, for fine detail; may rise on a "
                        "resume, the new strengths starting faint (default 0)",
        "noise_gates": "with --noise-stages: each noise map is also scaled pixel by pixel by a gate the features "
                       "there set, so the noise can go where the photos have particles (rain, snow, stars) and "
                       "nowhere else; may be turned on on a resume, the gates starting open (default off)",
        "context_population": "the context also holds the population of the nearest world city, so a village and "
                              "a metropolis a few kilometres apart get different conditions (default off)",
        "context_population_steps": "BOUNDS (e.g. 50000,300000,3000000, GeoScenes's density classes), or none: the "
                                    "context also says on which side of each bound the nearest world city's "
                                    "population lies; may be added on a resume, which widens the networks where "
                                    "they stand (default none)",
        "context_climate": "the context also holds the place's climate from the world's fields (temperature, "
                           "humidity, elevation, water near), so the edges of deserts and mountains are sharp; may "
                           "be added on a resume, like the population steps (default off)",
        "context_head": "ATTRIBUTES (e.g. biome,density), or none: the critic also classifies each picture into "
                        "these attribute classes of the data (dataset.json), learnt on the real photos, and the "
                        "generator is trained so that its pictures of a place get that place's classes (AC-GAN, "
                        "weighted by --context-weight; default none)",
    },
    notes={"max_kimg": "end of the schedule"}, check_resolution=True, head_option="context_head",
    add_arguments=add_arguments, check=check_options)
