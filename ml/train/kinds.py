"""The registry of generator kinds that can be trained: `python -m ml train <kind>`, `python -m
ml export` and `python -m ml eval` look a kind up here (no torch needed to import it).

Each entry is a `ml.train.options.Kind`, declared beside its run config in
`ml.train.<kind>_config`; its loop, export and checkpoint pipeline live in `ml.train.<kind>`,
imported only when they run. A new kind is its module(s) plus one line here.
"""
from ml.train.compose_config import COMPOSE
from ml.train.edit_config import EDIT
from ml.train.ground_config import GROUND
from ml.train.place_config import PLACE
from ml.train.upsample_config import UPSAMPLE

KINDS = {
    "place": PLACE,
    "ground": GROUND,
    "edit": EDIT,
    "upsample": UPSAMPLE,
    "compose": COMPOSE,
}
