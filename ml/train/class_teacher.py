"""A frozen class teacher for the place generator (`--class-teacher FOLDER --class-teacher-weight W`).

The critic's class head (AC-GAN, `--context-head`) is the generator's only teacher of a place's
classes, and it is a poor reader of the hard ones: on the held-out photos themselves it reads
mediterranean in 0.54 to 0.77 of them where a classifier trained for the task reads 0.87
(docs/RESULTS.md, "The twin class head, and what the critic's head reads"), and the generator
learns them no better than its teacher reads them. The teacher is such a classifier: an oracle-kind
model folder (`python -m ml oracle`) trained on the run's own training photos, frozen. The
generator pays W times its cross-entropy of the classes of the places it was asked for, read on
its pictures through the run's augmentation (`AdversarialObjective.augment`), beside the critic's
head; the critic does not hear of it. It is not the metrics' oracle: that one is trained on
another data set at 32 px, and a third reader that saw no training checks what it measures.
Measured on place at 64 px (docs/RESULTS.md, "A class teacher, and mode seeking off"), weight 1
for 160 kimg lifted the biome ratio from 0.86 to 0.89 and the independent reader's from 0.83 to
0.88, for 9 FID, mostly in the classes the generator already painted.

With shares (`--class-teacher-shares weather,time_of_day`) it also reads attributes the place does
not decide, which a generator conditioned on the place alone is free to drop (the pictures of the
held-out places show no snow and two thirds of the photos' rain: docs/RESULTS.md, "Where the
photos' edges are"). For each such attribute the generator pays the cross-entropy of the batch's
photos' classes under the teacher's reading averaged over the batch's pictures: the pictures,
taken together, should show each class in the share the photos of the same places do, whichever
pictures show it. Measured there for 80 kimg: the times of day came to the photos' shares and FID
fell by 7, but a weather the generator did not paint at all (snow) did not appear.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from ml.cli import CommandError
from ml.eval.oracle import Oracle, load_oracle
from ml.modelfolder import ModelFolderError
from ml.train.losses import ClassPredictionLoss

ERROR_TEACHER_CLASSES = ("--class-teacher {}: its {} classes {} are not the run's {}: train it on a dataset with "
                         "the run's classes")
ERROR_TEACHER_FOLDER = "--class-teacher {}: {}"


def load_teacher(folder: str | Path, classes: dict[str, list],
                 device: torch.device | str = "cpu") -> tuple[Oracle, str]:
    """The oracle of `folder`, frozen, if it reads each attribute of `classes` with the same class
    names in the same order (the run's label indices); else a CommandError."""
    try:
        oracle, sha256 = load_oracle(folder, device)
    except (ModelFolderError, OSError) as error:
        raise CommandError(ERROR_TEACHER_FOLDER.format(folder, error)) from None
    for name, names in classes.items():
        if list(oracle.config.classes.get(name, [])) != list(names):
            raise CommandError(ERROR_TEACHER_CLASSES.format(folder, name, oracle.config.classes.get(name), names))
    return oracle, sha256


class ClassTeacher:
    """The generator's term: W times the teacher's cross-entropy of the asked classes."""

    def __init__(self, folder: str, weight: float, classes: dict[str, list], device: torch.device,
                 augment: Callable[[torch.Tensor], torch.Tensor], shares: dict[str, list] | None = None):
        self.oracle, self.sha256 = load_teacher(folder, {**classes, **(shares or {})}, device)  # the log names it
        self.attributes, self.shares, self.augment = list(classes), list(shares or {}), augment
        self.cross_entropy = ClassPredictionLoss(weight)

    def __call__(self, fakes: torch.Tensor, labels: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict]:
        """The term on the generator's pictures `fakes`, and the teacher's logits of them (of the
        place's attributes and of the shared ones)."""
        _, logits = self.oracle(self.augment(fakes.float()))
        term = self.cross_entropy({name: logits[name] for name in self.attributes}, labels)
        for name in self.shares:
            term = term + self.cross_entropy.weight * batch_share_loss(logits[name], labels[name])
        return term, {name: logits[name] for name in [*self.attributes, *self.shares]}


def batch_share_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The mean over the pictures whose class is known of -log of the share of that class in the
    batch's mean reading (softmax of `logits` averaged over the batch): lowest when the batch
    shows the classes in the labels' shares; 0 when no label is known."""
    known = labels >= 0
    if not known.any():
        return logits.new_zeros(())
    shares = torch.softmax(logits.float(), dim=1).mean(dim=0)
    return -torch.log(shares[labels[known]].clamp(min=1e-8)).mean()
