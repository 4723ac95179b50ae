"""Training of the `edit` generator (SIMGAN) on pictures and their captions.

Each step takes real pictures x with their own captions t and a mismatching caption t' per
picture, drawn from the other pictures of the batch, which is also the edit's target text:

    step_discriminator   LSGAN on (x, t) -> 1, (x, t') -> 0, (G(x, t'), t') -> 0
    step_generator       LSGAN on (G(x, t'), t') -> 1
                         + lambda_c |G(G(x, t'), t) - x|_1   (the cycle: edit, then edit back)
                         + lambda_ca KL of the forward edit's text condition
                         [+ lambda_id |G(x, t_match) - x|_1   (identity, off by default)]

The backward edit of the cycle is conditioned on the mean of t's condition (no sampling), so
the noise of conditioning augmentation belongs to the forward edit alone. The learning rate
halves every `lr_halve_epochs` epochs. The run writes its files through `ml.train.run_dir`.

Six options go beyond SIMGAN's recipe, all off by default:

- `phrase_edits`: that share of the pictures get, instead of another picture's caption, a
  target text that names one attribute value only, in the captions' own words ("snowy", "the
  same place, at night"), the kind of text a visitor types; the discriminator's matching pair
  for those pictures is a phrase naming a value they do show, so it learns what such short texts
  match. The value asked for is one the picture lacks; the other attributes should stay.
- the architecture's `attribute_head`: the discriminator also classifies real pictures into
  the dataset's attribute classes (from the picture alone), and the generator pays
  `attribute_weight` times that classifier's cross-entropy on its edits against the classes
  the target text asks for: the other picture's for a caption, the source's own with the named
  value changed for a phrase (StarGAN's domain classification loss, Choi et al. 2018).
- the architecture's `standardize_text`: both networks see the sentence embeddings standardised
  over every text the run trains with (`ml.models.edit.TextStandardizer`), fitted here.
- `ema_kimg`: the export takes G_ema, an exponential moving average of the generator's weights
  (as the place and ground generators do), instead of the generator's last weights; it does not
  change the training itself.
- `identity_weight`: CycleGAN's identity loss. The picture "edited" with a text it matches (its
  caption, or a phrase of a value it shows), with the conditioning noise sampled as in a forward
  edit, must come back unchanged, so neither the text nor the noise moves what the text does not
  ask to change.
- `paired_weight`: with data written with `--variants` (the same photo rendered under each other
  weather and time of day, the rest of the scene kept), an edit by a phrase naming a value of
  one of those attributes has a right answer, and the generator pays `paired_weight` times its
  L1 distance to it: supervision that says where the snow goes and what stays, which the
  classifier of `attribute_head` alone does not (pix2pix's L1 term, Isola et al. 2017).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from ml.cli import CommandError
from ml.models.edit import EditConfig, EditDiscriminator, EditGenerator
from ml.train import checks, export as exporting, run_dir
from ml.train.edit_config import EDIT, ERROR_BATCH_TWO, KIND, EditTrainConfig
from ml.train.edit_losses import (ConditioningKL, LeastSquaresDiscriminatorLoss, LeastSquaresGeneratorLoss,
                                  ReconstructionLoss)
from ml.train.image_cache import ImageCache, load_image_cache
from ml.train.launch import start_run
from ml.train.losses import ClassPredictionLoss, class_accuracies
from ml.train.skeleton import TrainerSkeleton

# The texts of the sample grids (and of the results' grids): one column each, after the source.
SAMPLE_TEXTS = (
    "the same place, snowy and wintry",
    "the same town at night",
    "a sunny desert town on a bright afternoon",
    "a foggy, misty day",
    "a lush tropical village by the water",
)
SAMPLE_SOURCES = 6
ERROR_NO_CAPTIONS = "--data {}: {} of its {} pictures have no caption; the edit generator learns from captions"
ERROR_NO_PHRASES = ("--phrase-edits: {} labels none of the attributes a phrase can name ({}), so there is no "
                    "phrase to edit with")


def sample_sources(data: ImageCache, count: int = SAMPLE_SOURCES) -> torch.Tensor:
    """Indices of evenly spaced pictures of the data: the rows of the sample grids."""
    return torch.linspace(0, len(data) - 1, min(count, len(data))).round().long()


def attribute_phrases(classes: dict[str, list]) -> list[tuple[str, int, str]]:
    """(attribute, class index, text) of every text naming one value of an attribute the data
    labels, in the words GeoScenes captions use for it: the word alone and "the same place, ..."."""
    from ml.data.geoscenes.captions import KEYWORDS

    phrases = []
    for attribute, words in KEYWORDS.items():
        names = classes.get(attribute, [])
        for value, wordings in words.items():
            if value in names:
                phrases += [(attribute, names.index(value), text)
                            for wording in wordings for text in (wording, f"the same place, {wording}")]
    return phrases


@dataclass
class PhraseBook:
    """The phrases of `attribute_phrases` with their text embeddings, drawn per picture."""

    phrases: list[tuple[str, int, str]]
    embeddings: torch.Tensor  # (P, text_dim), one row per phrase

    def __post_init__(self) -> None:
        self.by_value: dict[tuple[str, int], list[int]] = {}
        for row, (attribute, value, _) in enumerate(self.phrases):
            self.by_value.setdefault((attribute, value), []).append(row)
        self.attributes = sorted({attribute for attribute, _ in self.by_value})

    def draw(self, labels: dict[str, int], rng: random.Random) -> tuple[int, int, str, int] | None:
        """For a picture with these classes: a phrase of a value it shows (its matching text), a
        phrase of another value of the same attribute (its target), that attribute and value;
        None when the picture's class of every phrased attribute is unknown."""
        known = [a for a in self.attributes if labels.get(a, -1) >= 0 and (a, labels[a]) in self.by_value]
        if not known:
            return None
        attribute = rng.choice(known)
        others = [value for (a, value) in self.by_value if a == attribute and value != labels[attribute]]
        value = rng.choice(others)
        return (rng.choice(self.by_value[attribute, labels[attribute]]), rng.choice(self.by_value[attribute, value]),
                attribute, value)


@dataclass
class EditBatch:
    sources: torch.Tensor  # (B, 3, R, R) real pictures in [-1, 1]
    captions: torch.Tensor  # (B, text_dim) their own captions: the cycle's way back
    matching: torch.Tensor  # (B, text_dim) texts they match: their captions, or a phrase of a value they show
    targets: torch.Tensor  # (B, text_dim) the forward edits' texts
    labels: dict[str, torch.Tensor]  # attribute -> (B,) their classes (-1: unknown), for the attribute head
    target_labels: dict[str, torch.Tensor]  # attribute -> (B,) the classes the targets ask for
    paired: torch.Tensor | None = None  # (B, 3, R, R) each forward edit's rendered answer, where it has one
    has_pair: torch.Tensor | None = None  # (B,) bool: which rows have one


class EditTrainer(TrainerSkeleton):
    """Owns the networks, optimisers and data of one run; `train()` runs it to the end."""

    def __init__(self, config: EditTrainConfig, data: ImageCache, texts: torch.Tensor, sample_texts: torch.Tensor,
                 dist: run_dir.Distributed, run: run_dir.RunDir, *, options: dict, resume_from=None,
                 phrases: PhraseBook | None = None):
        self.config, self.data, self.dist, self.run, self.options = config, data, dist, run, options
        self.device = dist.device
        self.texts = texts  # (N, text_dim): the embedding of each picture's caption
        self.sample_texts = sample_texts.to(self.device)
        self.phrases = phrases  # None unless the run asks for phrase edits
        self.phrase_rng = random.Random(config.seed * 1000 + dist.rank)
        self.attribute_classes = (ClassPredictionLoss(config.attribute_weight)
                                  if config.model.attribute_head else None)
        self.build_networks(EditGenerator(config.model), EditDiscriminator(config.model), ema=config.ema_kimg > 0)
        if config.model.standardize_text:  # over every text the run trains with (a resume loads the same)
            every_text = texts if self.phrases is None else torch.cat([texts, self.phrases.embeddings])
            for standardizer in (self.G.condition.standardize, self.D.standardize):
                standardizer.fit(every_text.to(self.device))
        self.discriminator_loss, self.generator_loss = LeastSquaresDiscriminatorLoss(), LeastSquaresGeneratorLoss()
        self.cycle_loss = ReconstructionLoss(config.cycle_weight)
        self.identity_loss = ReconstructionLoss(config.identity_weight)
        self.paired_loss = ReconstructionLoss(config.paired_weight)
        self.kl_loss = ConditioningKL(config.kl_weight)
        # A resumed run goes on with its epoch count, which the learning-rate halving counts in.
        self.resume_cached(data, resume_from)

    # -----------------------------------------------------------------------------------------
    # The loop

    def train(self) -> None:
        config, total = self.config, self.config.total_nimg()
        self.start_training(total, f"training {KIND} on {len(self.data)} captioned pictures from kimg "
                                   f"{self.nimg / 1000:g} to {total / 1000:g}")
        while self.running():
            batch = self.fetch_batch()
            self.set_learning_rate()  # after the fetch, which starts each new epoch
            self.step_discriminator(batch)
            self.step_generator(batch)
            if self.G_ema is not None:
                self.update_ema()
            before, self.nimg = self.nimg, self.nimg + config.batch_size
            self.finish_step(before)
        self.finish_training()

    def base_lr(self) -> float:
        return self.config.lr * 0.5 ** int(self.epoch // self.config.lr_halve_epochs)

    def fetch_batch(self) -> EditBatch:
        """This rank's pictures, their captions' embeddings, and target texts: the captions of
        the same batch rolled by one, so no picture gets its own caption back, or for a
        `phrase_edits` share of the pictures a phrase naming one value they lack."""
        indices = self.batches.next_indices()
        pixels = self.data.images[indices]
        sources = ImageCache.to_float(pixels).to(self.device, non_blocking=True)
        captions = self.texts[indices]
        labels = {name: self.data.labels[name][indices] for name in self.config.model.attribute_head}
        matching, targets = captions.clone(), captions.roll(1, dims=0)
        target_labels = {name: values.roll(1, dims=0) for name, values in labels.items()}
        variants = torch.full((len(indices),), -1, dtype=torch.int64)
        if self.phrases is not None:
            self.use_phrases(indices, matching, targets, target_labels, variants)
        paired = has_pair = None
        if self.config.paired_weight > 0:
            has_pair = variants >= 0
            answers = torch.where(has_pair[:, None, None, None], self.data.variant_images[variants.clamp_min(0)],
                                  pixels)
            paired = ImageCache.to_float(answers).to(self.device, non_blocking=True)
        if self.config.mirror:  # a source and its answer are mirrored together
            flip = torch.rand(len(indices), device=self.device)[:, None, None, None] < 0.5
            sources = torch.where(flip, sources.flip(3), sources)
            if paired is not None:
                paired = torch.where(flip, paired.flip(3), paired)
        to = dict(device=self.device, non_blocking=True)
        form = run_dir.memory_format(self.dist)
        return EditBatch(sources.contiguous(memory_format=form), captions.to(**to),
                         matching.to(**to), targets.to(**to), {name: v.to(**to) for name, v in labels.items()},
                         {name: v.to(**to) for name, v in target_labels.items()},
                         None if paired is None else paired.to(**to).contiguous(memory_format=form),
                         None if has_pair is None else has_pair.to(**to))

    def use_phrases(self, indices: torch.Tensor, matching: torch.Tensor, targets: torch.Tensor,
                    target_labels: dict[str, torch.Tensor], variants: torch.Tensor) -> None:
        """Give a `phrase_edits` share of the rows a phrase pair (in place): a matching phrase
        of a value the picture shows, a target phrase of one it lacks, and as target classes its
        own with that one changed; `variants` gets the row of the picture's variant with that
        value in `data.variant_images`, where the data has one (else it stays -1)."""
        for row, index in enumerate(indices.tolist()):
            if self.phrase_rng.random() >= self.config.phrase_edits:
                continue
            own = {name: int(values[index]) for name, values in self.data.labels.items()}
            drawn = self.phrases.draw(own, self.phrase_rng)
            if drawn is None:
                continue
            matching_phrase, target_phrase, attribute, value = drawn
            matching[row] = self.phrases.embeddings[matching_phrase]
            targets[row] = self.phrases.embeddings[target_phrase]
            for name in target_labels:
                target_labels[name][row] = value if name == attribute else own[name]
            if attribute in self.data.variant_index:
                variants[row] = self.data.variant_index[attribute][index, value]

    def step_discriminator(self, batch: EditBatch) -> None:
        with torch.no_grad(), run_dir.autocast(self.dist):
            edited, _, _ = self.G(batch.sources, batch.targets)
        sources = batch.sources
        with run_dir.autocast(self.dist):
            # One forward over the three kinds of pairs (the discriminator has no batch statistics).
            scores, classes = self.D(torch.cat([sources, sources, edited]),
                                     torch.cat([batch.matching, batch.targets, batch.targets]), with_classes=True)
        real_matching, real_mismatching, edited_target = scores.chunk(3)
        loss = self.discriminator_loss(real_matching, real_mismatching, edited_target)
        if self.attribute_classes is not None:  # learnt from the real pictures only
            real_classes = {name: logits[:len(sources)] for name, logits in classes.items()}
            classified = self.attribute_classes(real_classes, batch.labels)
            loss = loss + classified
            self.record(attribute_loss_d=classified, **class_accuracies(real_classes, batch.labels, "d"))
        self.D_opt.zero_grad(set_to_none=True)
        loss.backward()
        run_dir.average_gradients(self.D, self.dist)
        self.D_opt.step()
        self.record(loss_d=loss, d_real_matching=real_matching.float().mean(),
                    d_real_mismatching=real_mismatching.float().mean(), d_edited=edited_target.float().mean())

    def step_generator(self, batch: EditBatch) -> None:
        self.D.requires_grad_(False)  # D only passes gradients through; no need for its own
        with run_dir.autocast(self.dist):
            edited, mu, logvar = self.G(batch.sources, batch.targets)
            scores, classes = self.D(edited, batch.targets, with_classes=True)
            terms = {"adversarial": self.generator_loss(scores)}
            if self.config.cycle_weight > 0:
                back, _, _ = self.G(edited, batch.captions, sample=False)
                terms["cycle"] = self.cycle_loss(back, batch.sources)
            if self.config.identity_weight > 0:
                kept, _, _ = self.G(batch.sources, batch.matching)
                terms["identity"] = self.identity_loss(kept, batch.sources)
            if self.config.paired_weight > 0 and bool(batch.has_pair.any()):
                terms["paired"] = self.paired_loss(edited[batch.has_pair], batch.paired[batch.has_pair])
            if self.config.model.augmentation and self.config.kl_weight > 0:
                terms["kl"] = self.kl_loss(mu, logvar)
        if self.attribute_classes is not None:
            terms["attributes"] = self.attribute_classes(classes, batch.target_labels)
            self.record(**class_accuracies(classes, batch.target_labels, "g"))
        loss = sum(terms.values())
        self.G_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.D.requires_grad_(True)
        run_dir.average_gradients(self.G, self.dist)
        self.G_opt.step()
        self.record(loss_g=loss, **{f"g_{name}": value for name, value in terms.items()})

    # -----------------------------------------------------------------------------------------
    # Snapshots, samples and stats

    def save_snapshot(self) -> None:
        self.write_snapshot(KIND, epoch=self.epoch, dataset=self.data.summary)

    @torch.no_grad()
    def save_samples(self) -> None:
        """Rows: fixed source pictures; columns: the source, then its edit by each sample text
        (conditioning noise seeded per column, the generator the export takes, in inference mode)."""
        if not self.dist.is_main:
            return
        sources = ImageCache.to_float(self.data.images[sample_sources(self.data)]).to(self.device)
        generator = self.G_ema if self.G_ema is not None else self.G
        generator.eval()
        columns = [sources]
        for column, text in enumerate(self.sample_texts):
            noise = torch.randn(self.config.model.condition_dim, generator=torch.Generator().manual_seed(column))
            texts, noise = text.expand(len(sources), -1), noise.to(self.device).expand(len(sources), -1)
            columns.append(generator(sources, texts, noise)[0].float())
        self.G.train()
        grid = torch.stack(columns, dim=1).flatten(0, 1)
        self.run.save_image_grid(grid, f"samples-{run_dir.kimg_label(self.nimg)}.png", len(columns))

    def write_tick(self, images_per_second: float) -> None:
        super().write_tick(images_per_second, epoch=self.epoch, lr=self.G_opt.param_groups[0]["lr"])

    @property
    def epoch(self) -> int:
        return self.batches.epoch

    def progress_text(self) -> str:
        return f"kimg {self.nimg / 1000:.3f} ep {self.epoch} {self.latest('.3f', D='loss_d', G='loss_g')}"


# ---------------------------------------------------------------------------------------------
# The commands


def train(config: EditTrainConfig, dist: run_dir.Distributed, resume=None, resume_state: dict | None = None) -> int:
    """`python -m ml train edit` with a checked config (`ml.train.launch`)."""
    from ml.models.edit_text import encode_with_file_cache

    if config.batch_size // dist.world_size < 2:
        raise CommandError(ERROR_BATCH_TWO.format(config.batch_size))
    data = load_training_data(config, progress=dist.is_main)
    phrases = attribute_phrases(data.classes) if config.phrase_edits > 0 else []
    if config.phrase_edits > 0 and not phrases:
        from ml.data.geoscenes.captions import KEYWORDS

        raise CommandError(ERROR_NO_PHRASES.format(config.data, ", ".join(KEYWORDS)))
    run, options = start_run(EDIT, config, dist, dataset=data.summary,
                             description=f"{KIND}-{data.summary['name']}-{config.model.resolution}", resume=resume,
                             resume_state=resume_state)
    if run is None:
        return 0
    texts = encode_with_file_cache(data.captions, config.text_cache)
    sample_texts = encode_with_file_cache(list(SAMPLE_TEXTS), config.text_cache)
    book = PhraseBook(phrases, encode_with_file_cache([text for *_, text in phrases], config.text_cache)) \
        if phrases else None
    EditTrainer(config, data, texts, sample_texts, dist, run, options=options, resume_from=resume,
                phrases=book).train()
    return 0


def load_training_data(config: EditTrainConfig, progress: bool) -> ImageCache:
    """The captioned training pictures; every one must have a caption."""
    try:
        data = load_image_cache(config.data, resolution=config.model.resolution, split="train",
                                drop_outliers=config.drop_outliers, progress=progress,
                                variants=config.paired_weight > 0)
    except ValueError as error:
        raise checks.data_error(error) from None
    uncaptioned = sum(not caption.strip() for caption in data.captions)
    if uncaptioned:
        raise CommandError(ERROR_NO_CAPTIONS.format(config.data, uncaptioned, len(data)))
    return data


def export(args, options: dict) -> int:
    """`python -m ml export` of an edit run: a checkpoint's generator (its G_ema when the run kept
    one); there is no selection criterion for edits, so `best` is the latest checkpoint."""
    train = options["train"]
    return exporting.export_latest(
        args, options, KIND, lambda architecture: EditGenerator(EditConfig.from_dict(architecture)),
        lambda state: dict(epoch=state.get("epoch"), cycle_weight=train["cycle_weight"],
                           identity_weight=train.get("identity_weight", 0.0), kl_weight=train["kl_weight"],
                           attribute_weight=train.get("attribute_weight"), phrase_edits=train.get("phrase_edits"),
                           paired_weight=train.get("paired_weight", 0.0),
                           ema_kimg=train.get("ema_kimg", 0.0)))
