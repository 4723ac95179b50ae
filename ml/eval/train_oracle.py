"""Training the oracle on a GeoScenes dataset: `python -m ml oracle --data DIR --out FOLDER`.

Plain supervised learning: the sum of one cross-entropy per attribute, AdamW with a cosine
schedule, random left-right flips. Outliers (pictures that are not scenes) are left out, and so
are the held-out cities, on which the accuracy per attribute is measured at the end and
stored in the folder's config.json.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ml.eval.oracle import ATTRIBUTES, KIND, Oracle, OracleConfig
from ml.modelfolder import write_model_folder
from ml.train.image_cache import ImageCache, load_image_cache


@dataclass
class OracleTrainConfig:
    data: str  # GeoScenes dataset folder (python -m ml geoscenes ...)
    out: str  # the oracle's model folder
    resolution: int = 32  # side the oracle sees
    width: int = 32  # channels of its first block
    feature_dim: int = 256  # size of the metrics' feature vector
    epochs: int = 12  # passes over the training cities' photos
    batch_size: int = 128
    lr: float = 2e-3  # peak AdamW learning rate (cosine decay to 0)
    weight_decay: float = 5e-4
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def train_oracle(config: OracleTrainConfig, progress: bool = True) -> dict:
    """Train, measure on held-out cities, write the folder; returns the held-out accuracies."""
    torch.manual_seed(config.seed)
    train = load_image_cache(config.data, resolution=config.resolution, split="train", progress=progress)
    heldout = load_image_cache(config.data, resolution=config.resolution, split="heldout", progress=progress)
    missing = [name for name in ATTRIBUTES if name not in train.classes]
    if missing:
        raise ValueError(f"{config.data}: dataset.json lists no classes for {', '.join(missing)}; "
                         f"the oracle learns GeoScenes attributes")
    classes = {name: train.classes[name] for name in ATTRIBUTES}
    oracle = Oracle(OracleConfig(resolution=config.resolution, width=config.width,
                                 feature_dim=config.feature_dim, classes=classes))
    optimizer = torch.optim.AdamW(oracle.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = max(1, len(train) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, pct_start=0.15,
                                                   total_steps=config.epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(config.seed)
    bar = tqdm(total=config.epochs * steps_per_epoch, desc="oracle", unit="step", disable=not progress)
    for _ in range(config.epochs):
        oracle.train()
        order = torch.randperm(len(train), generator=generator)
        for step in range(steps_per_epoch):
            batch = order[step * config.batch_size:(step + 1) * config.batch_size]
            loss = step_classifier(oracle, optimizer, train, batch, generator)
            schedule.step()
            bar.update()
            bar.set_postfix(loss=f"{loss:.3f}")
    bar.close()
    accuracy = measure_accuracy(oracle, heldout)
    training = {**config.to_dict(), "train_images": len(train), "train_cities": len(train.cities),
                "heldout_images": len(heldout), "heldout_cities": len(heldout.cities), "dataset": train.summary}
    write_model_folder(config.out, kind=KIND, architecture=oracle.config.to_dict(), state_dict=oracle.state_dict(),
                       training=training, metrics={"heldout_accuracy": accuracy})
    return accuracy


def step_classifier(oracle: Oracle, optimizer, data: ImageCache, batch: torch.Tensor,
                    generator: torch.Generator) -> float:
    images = ImageCache.to_float(data.images[batch])
    flip = torch.rand(len(batch), generator=generator) < 0.5
    images[flip] = images[flip].flip(-1)
    _, logits = oracle(images)
    loss = sum(F.cross_entropy(logits[name], data.labels[name][batch], ignore_index=-1) for name in logits)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def measure_accuracy(oracle: Oracle, data: ImageCache, batch_size: int = 256) -> dict[str, float]:
    """Share of images whose class the oracle gets right, per attribute (unknown labels skipped)."""
    oracle.eval()
    predictions = {name: [] for name in oracle.heads}
    for start in range(0, len(data), batch_size):
        _, logits = oracle(ImageCache.to_float(data.images[start:start + batch_size]))
        for name in predictions:
            predictions[name].append(logits[name].argmax(1))
    accuracy = {}
    for name, parts in predictions.items():
        labels = data.labels[name]
        known = labels >= 0
        accuracy[name] = round(float((torch.cat(parts)[known] == labels[known]).float().mean()), 4)
    return accuracy
