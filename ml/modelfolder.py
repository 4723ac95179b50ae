"""A trained model on disk: a folder of `weights.safetensors` + `config.json`, nothing else.

The same folder is what training writes, what an admin uploads or registers and what a worker
loads. `config.json` holds:

    {"kind": "place", "architecture": {...}, "resolution": 64,
     "training": {...} or null, "metrics": {...}, "weights_sha256": "<hex>"}

Weights are tensors only, never a pickle: a `.pt`/`.pth`/`.ckpt`/`.bin`/`.pkl` file is refused
by its name, without being opened. Reading needs no torch; only writing imports it.
"""
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
KNOWN_KINDS = ("place", "ground", "edit", "compose", "upsample", "oracle")  # four generators, the upsampler, the metrics' classifier
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle")
FOLDER_CONTENTS = f"a model folder holds {WEIGHTS_FILE} + {CONFIG_FILE} only"
_CHUNK = 1 << 20


class ModelFolderError(ValueError):
    """A model folder that cannot be used; the message says exactly what is wrong."""


def weights_sha256(folder: str | os.PathLike) -> str:
    """The hex sha256 of the folder's weights.safetensors, read in chunks."""
    digest = hashlib.sha256()
    with open(Path(folder) / WEIGHTS_FILE, "rb") as weights:
        while chunk := weights.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_config(folder: str | os.PathLike, *, verify_weights: bool = True) -> dict:
    """The parsed config.json of a model folder, after checking the folder is one.

    With `verify_weights`, a `weights_sha256` recorded in the config must match the file.
    Raises ModelFolderError naming the problem.
    """
    folder = Path(folder)
    _check_is_folder(folder)
    _check_no_pickles(folder)
    config = _parse_config(folder)
    if not (folder / WEIGHTS_FILE).is_file():
        raise ModelFolderError(f"{WEIGHTS_FILE} is missing from {folder}; {FOLDER_CONTENTS}")
    if verify_weights and config.get("weights_sha256") is not None:
        check_weights_sha256(config, weights_sha256(folder))
    return config


def read_weights(folder: str | os.PathLike, config: dict) -> tuple[bytes, str]:
    """The bytes of weights.safetensors and their sha256, checked against the config.

    Hashing the very bytes that are then loaded makes the recorded sha256 that of the weights
    that ran, even if the file is replaced meanwhile.
    """
    data = (Path(folder) / WEIGHTS_FILE).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    if config.get("weights_sha256") is not None:
        check_weights_sha256(config, sha256)
    return data, sha256


def training_kimg(config: dict) -> float:
    """The thousands of images a model folder's weights were trained on, from its provenance (0
    when it records none)."""
    return float((config.get("training") or {}).get("kimg", 0.0))


def check_weights_sha256(config: dict, actual: str) -> None:
    recorded = config["weights_sha256"]
    if not isinstance(recorded, str) or recorded.lower() != actual:
        raise ModelFolderError(f"{WEIGHTS_FILE} does not match {CONFIG_FILE}: sha256 "
                               f"{recorded} is recorded but the file's is {actual}")


def write_model_folder(folder: str | os.PathLike, *, kind: str, architecture: dict, state_dict: Mapping,
                       training: dict | None = None, metrics: dict | None = None) -> str:
    """Write weights.safetensors and config.json into `folder` (created if needed).

    Each file is written under a temporary name and renamed, so a reader never sees half of
    one. Returns the sha256 of the weights.
    """
    from safetensors.torch import save_file  # imported here: reading a folder needs no torch

    if kind not in KNOWN_KINDS:
        raise ModelFolderError(f"unknown kind {kind!r}; known kinds: {', '.join(KNOWN_KINDS)}")
    if not isinstance(architecture, dict):
        raise ModelFolderError("architecture must be a dict of the network's hyper-parameters")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Detached, contiguous CPU copies: safetensors stores plain dense tensors and refuses
    # tensors that share memory.
    tensors = {name: tensor.detach().to("cpu", copy=True).contiguous() for name, tensor in state_dict.items()}
    weights_path = folder / WEIGHTS_FILE
    save_file(tensors, str(_temporary(weights_path)), metadata={"kind": kind})
    os.replace(_temporary(weights_path), weights_path)
    sha256 = weights_sha256(folder)
    config = {
        "kind": kind,
        "architecture": architecture,
        "resolution": architecture.get("resolution"),
        "training": training,
        "metrics": metrics or {},
        "weights_sha256": sha256,
    }
    config_path = folder / CONFIG_FILE
    _temporary(config_path).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    os.replace(_temporary(config_path), config_path)
    return sha256


def _temporary(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _check_is_folder(path: Path) -> None:
    if not path.exists():
        raise ModelFolderError(f"model folder {path} not found")
    if path.is_dir():
        return
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelFolderError(f"{path.name} is a pickle checkpoint; {FOLDER_CONTENTS}")
    if path.name in (WEIGHTS_FILE, CONFIG_FILE):
        raise ModelFolderError(f"{path} is a file; pass the model folder that holds it")
    raise ModelFolderError(f"{path} is not a folder; {FOLDER_CONTENTS}")


def _check_no_pickles(folder: Path) -> None:
    pickles = sorted(entry.name for entry in folder.iterdir() if entry.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise ModelFolderError(f"{pickles[0]} is a pickle checkpoint; {FOLDER_CONTENTS}")


def _parse_config(folder: Path) -> dict:
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise ModelFolderError(f"{CONFIG_FILE} is missing from {folder}; {FOLDER_CONTENTS}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFolderError(f"{CONFIG_FILE} is not valid JSON: {error}") from None
    if not isinstance(config, dict):
        raise ModelFolderError(f"{CONFIG_FILE} must hold a JSON object, not {type(config).__name__}")
    kind = config.get("kind")
    if kind not in KNOWN_KINDS:
        raise ModelFolderError(f"{CONFIG_FILE} has unknown kind {kind!r}; known kinds: {', '.join(KNOWN_KINDS)}")
    if not isinstance(config.get("architecture"), dict):
        raise ModelFolderError(f"{CONFIG_FILE} has no \"architecture\" object")
    return config
