"""The frozen sentence encoder of the edit generator, loaded offline, and its caches."""
import torch

from ml.models.edit_text import TEXT_DIM, TextEncoder, encode_with_file_cache


class CountingModel:
    """Stands for the sentence-transformers model where only the caching is tested."""

    def __init__(self):
        self.encoded: list[str] = []

    def encode(self, texts, **options):
        self.encoded += texts
        return torch.stack([torch.full((TEXT_DIM,), float(len(text))) for text in texts])


def test_the_packaged_encoder_loads_offline_and_places_similar_texts_nearer():
    encoder = TextEncoder()
    snowy, winter, desert = encoder.encode(["a snowy village by the sea", "a winter town on the coast with snow",
                                            "a desert at noon"])
    assert snowy.shape == (TEXT_DIM,) and abs(snowy.norm().item() - 1) < 1e-4
    assert not any(parameter.requires_grad for parameter in encoder.model.parameters())
    assert torch.dot(snowy, winter) > torch.dot(snowy, desert) + 0.2


def test_each_text_is_encoded_once_and_the_memory_cache_is_bounded():
    model = CountingModel()
    encoder = TextEncoder(model, cache_size=2)
    first = encoder.encode(["at night", "at night", "snowy"])
    assert model.encoded == ["at night", "snowy"] and torch.equal(first[0], first[1])
    encoder.encode(["snowy", "foggy"])
    assert model.encoded == ["at night", "snowy", "foggy"]
    encoder.encode(["at night"])  # evicted by "foggy", the least recently used
    assert model.encoded[-1] == "at night"


def test_the_file_cache_stores_a_dataset_s_embeddings_once(tmp_path):
    model = CountingModel()
    texts = ["a", "bb", "a"]
    stored = encode_with_file_cache(texts, tmp_path, TextEncoder(model))
    assert model.encoded == ["a", "bb"] and stored[:, 0].tolist() == [1.0, 2.0, 1.0]
    again = encode_with_file_cache(texts, tmp_path, TextEncoder(CountingModel()))
    assert torch.equal(again, stored) and len(list(tmp_path.iterdir())) == 1
