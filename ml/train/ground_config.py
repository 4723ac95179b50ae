"""The `ground` kind's run: its config and its registry entry (no torch needed to import this module).

`GroundTrainConfig` is the one typed config of a run: the shared fields (`ml.train.run_config`,
whose defaults are this kind's) and the ground loop's own, checked once by the command line
(`ml.train.launch`). `GROUND` is the kind's entry in the registry (`ml.train.kinds`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ml.models.configs import GroundConfig
from ml.train.options import Kind
from ml.train.run_config import AdversarialOptions, ModeSeekingOptions, PatchCriticOptions, RunConfig

KIND = "ground"


@dataclass
class GroundTrainConfig(ModeSeekingOptions, PatchCriticOptions, AdversarialOptions, RunConfig):
    model: GroundConfig = field(default_factory=GroundConfig)  # the networks' architecture
    max_kimg: float = 200.0  # thousands of real (ground view, overhead) pairs shown in all
    # the recipe that measured better at equal CPU time (docs/RESULTS.md, "Recipes at equal CPU time:
    # ground"); --loss wgan-gp --augment none is the research's
    loss: str = "logistic"
    augment: str = "translation"
    l1_weight: float = 0.0  # pix2pix's L1 to the real view of the same tile (0: the research's plain cGAN)
    land_use_weight: float = 1.0  # weight of the critic's land-use classification (architecture's land_use_head)

    NON_NEGATIVE = ("l1_weight", "land_use_weight")
    NOTES = {"loss": "logistic: non-saturating loss with lazy R1 on reals; or wgan-gp, the research's",
             "augment": "translation; none, or a list of color,translation,cutout applied to reals and fakes alike"}


GROUND = Kind(
    name=KIND, config=GroundTrainConfig, module="ml.train.ground",
    help="train the ground generator (overhead tile -> ground view cGAN)",
    description="Train the conditional GAN from overhead tiles to ground-level views.",
    data_help="dataset folder with overhead tiles",
    architecture={"resolution": int, "latent_dim": int, "width": int, "overhead_dim": int, "conditional": bool,
                  "land_use_head": bool, "variant": str},
    architecture_help={
        "conditional": "condition on the overhead tile (default on; off: the unconditional baseline)",
        "land_use_head": "the critic also classifies the land use a view shows, and the generator is trained to "
                         "make its views show their tile's (default off)",
        "variant": "cgan: the tile as one vector in G and D (default); pix2pix: U-Net G, PatchGAN D",
    })
