"""The skeleton every training loop shares: devices and ranks, seeds, the run folder, checkpoints.

A run is a numbered folder `RUNS/<5 digits>-<description>/` (as stylegan3's training runs):

    options.json        the resolved training options, written before the first step
    log.txt             what the run printed, line by line
    stats.jsonl         one JSON object per tick (kimg, phase, losses, speed)
    reals.png           a grid of training images, to compare the samples with
    samples-<kimg>.png  sample grids of the EMA generator
    checkpoint-<kimg>/  resumable state: <net>.safetensors per network, optimizers.safetensors
                        (the optimisers' tensors) and state.json (everything else, JSON)

A handoff (`python -m ml handoff`) is a checkpoint folder small enough to commit, with
optimizer-<net>.safetensors in bf16 instead of optimizers.safetensors; `--resume` takes either.

Only tensors are written as tensors (safetensors) and everything else as JSON, so a checkpoint
is rebuilt by the code in the repository and never unpickled.

Multi-GPU: launched by `torchrun`, each process trains on its own shard of every batch and the
gradients are averaged with an all-reduce (`average_gradients`); rank 0 alone writes files.
"""
from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

OPTIONS_FILE = "options.json"
LOG_FILE = "log.txt"
STATS_FILE = "stats.jsonl"
STATE_FILE = "state.json"
OPTIMIZERS_FILE = "optimizers.safetensors"
HANDOFF_OPTIMIZER_FILE = "optimizer-{}.safetensors"  # one optimiser's tensors in a handoff (`ml.train.handoff`)
CHECKPOINT_PREFIX = "checkpoint-"
_RUN_NUMBER = re.compile(r"^(\d{5})-")


# ---------------------------------------------------------------------------------------------
# Devices, ranks and seeds


@dataclass(frozen=True)
class Distributed:
    """Where this process runs: its rank among `world_size` processes and its device."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    mixed_precision: bool = True  # on CUDA: bf16 autocast and channels-last (off: fp32, the default layout)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_mixed(self) -> bool:
        """Whether it trains in bf16 and channels-last: on CUDA, unless the run asked for fp32."""
        return self.is_cuda and self.mixed_precision


def setup_distributed(*, mixed_precision: bool = True) -> Distributed:
    """Join the process group when `torchrun` started us (it sets WORLD_SIZE), else run alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return Distributed(device=device, mixed_precision=mixed_precision)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Distributed(rank=rank, world_size=world_size, device=device, mixed_precision=mixed_precision)


def barrier(dist: Distributed) -> None:
    """Wait until every rank is here (nothing to wait for alone)."""
    if dist.world_size > 1:
        torch.distributed.barrier()


def teardown_distributed(dist: Distributed) -> None:
    if dist.world_size > 1 and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def seed_everything(seed: int, rank: int = 0) -> None:
    """One seed per run; each rank offsets it so the ranks draw different latents."""
    seed = seed + 1000003 * rank
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def configure_backends(dist: Distributed) -> None:
    """TF32 matmuls and cuDNN autotuning on CUDA: the input shapes stay fixed within a phase."""
    if dist.is_cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True


def autocast(dist: Distributed):
    """bf16 autocast on CUDA (bf16 keeps fp32's range, so no loss scaling); a no-op on CPU or
    when the run asked for fp32."""
    if dist.is_mixed:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def memory_format(dist: Distributed) -> torch.memory_format:
    """Channels-last feeds tensor cores without transposes on CUDA; on CPU (or in fp32) keep the default."""
    return torch.channels_last if dist.is_mixed else torch.contiguous_format


def broadcast_parameters(module: nn.Module, dist: Distributed) -> None:
    """Give every rank rank 0's weights: the ranks seed differently, so they initialise
    differently, and averaged gradients only keep equal weights equal."""
    if dist.world_size <= 1:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        torch.distributed.broadcast(tensor.data, src=0)


def rank0_flags(flags: list[bool], dist: Distributed) -> list[bool]:
    """Rank 0's values of `flags` on every rank: decisions from a clock (stop, save) must be the
    same on all ranks, or the ranks' collectives would no longer pair up."""
    if dist.world_size <= 1:
        return flags
    tensor = torch.tensor(flags, dtype=torch.uint8, device=dist.device)
    torch.distributed.broadcast(tensor, src=0)
    return [bool(value) for value in tensor.tolist()]


def average_gradients(module: nn.Module, dist: Distributed) -> None:
    """Average the gradients of `module` over the ranks, in one flat all-reduce.

    Used instead of DistributedDataParallel because the gradient penalty differentiates the
    critic twice (`autograd.grad` with create_graph) and each progressive phase leaves some
    layers unused, two things DDP's bucketed hooks handle badly.
    """
    if dist.world_size <= 1:
        return
    params = [p for p in module.parameters() if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.flatten() for p in params])
    torch.distributed.all_reduce(flat)
    flat /= dist.world_size
    for param, grad in zip(params, flat.split([p.numel() for p in params])):
        param.grad.copy_(grad.view_as(param))


# ---------------------------------------------------------------------------------------------
# The run folder


def next_run_dir(root: str | os.PathLike, description: str) -> Path:
    """`root/<n>-<description>` with n one more than the highest number already in root."""
    root = Path(root)
    numbers = [int(m.group(1)) for entry in (root.iterdir() if root.is_dir() else [])
               if (m := _RUN_NUMBER.match(entry.name))]
    return root / f"{max(numbers, default=-1) + 1:05d}-{description}"


class RunDir:
    """Writes one run's files. Every method is a no-op on ranks other than 0."""

    def __init__(self, path: str | os.PathLike, *, enabled: bool = True):
        self.path = Path(path)
        self.enabled = enabled
        if enabled:
            self.path.mkdir(parents=True, exist_ok=False)

    def write_options(self, options: dict) -> None:
        if self.enabled:
            _write_json(self.path / OPTIONS_FILE, options)

    def log(self, message: str) -> None:
        if self.enabled:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            with open(self.path / LOG_FILE, "a", encoding="utf-8") as log:
                log.write(f"{stamp} {message}\n")

    def append_stats(self, stats: dict) -> None:
        if self.enabled:
            with open(self.path / STATS_FILE, "a", encoding="utf-8") as file:
                file.write(json.dumps(stats, sort_keys=False) + "\n")

    def save_image_grid(self, images: torch.Tensor, name: str, columns: int) -> None:
        """Images in [-1, 1], shape (N, 3, H, W), as rows of `columns` pictures."""
        if self.enabled:
            save_image_grid(images, self.path / name, columns)

    def save_checkpoint(self, name: str, *, networks: dict[str, nn.Module],
                        optimizers: dict[str, torch.optim.Optimizer], state: dict) -> Path | None:
        if not self.enabled:
            return None
        return save_checkpoint(self.path / name, networks=networks, optimizers=optimizers, state=state)


def save_image_grid(images: torch.Tensor, path: Path, columns: int) -> None:
    images = images.detach().float().cpu()
    count, channels, height, width = images.shape
    rows = -(-count // columns)
    pixels = (images * 127.5 + 127.5).round().clamp(0, 255).to(torch.uint8)
    grid = torch.zeros(channels, rows * height, columns * width, dtype=torch.uint8)
    for index, image in enumerate(pixels):
        row, column = divmod(index, columns)
        grid[:, row * height:(row + 1) * height, column * width:(column + 1) * width] = image
    Image.fromarray(grid.permute(1, 2, 0).numpy(), "RGB").save(path)


def kimg_label(nimg: int) -> str:
    """Images seen as a sortable file-name label: 1234 images -> "000001.234" (kimg)."""
    return f"{nimg // 1000:06d}.{nimg % 1000:03d}"


# ---------------------------------------------------------------------------------------------
# Checkpoints: safetensors for tensors, JSON for the rest


def save_checkpoint(folder: Path, *, networks: dict[str, nn.Module],
                    optimizers: dict[str, torch.optim.Optimizer], state: dict) -> Path:
    """Write the checkpoint into a temporary folder and rename it: a crash mid-write leaves no
    half checkpoint that resume or export could pick."""
    from safetensors.torch import save_file

    folder = Path(folder)
    temporary = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    for name, network in networks.items():
        save_file(_cpu_tensors(network.state_dict()), str(network_file(temporary, name)))
    tensors, groups = {}, {}
    for name, optimizer in optimizers.items():
        optimizer_tensors, groups[name] = _flatten_optimizer(optimizer.state_dict())
        tensors.update({f"{name}.{key}": value for key, value in optimizer_tensors.items()})
    save_file(_cpu_tensors(tensors), str(temporary / OPTIMIZERS_FILE))
    _write_json(temporary / STATE_FILE, {**state, "optimizer_param_groups": groups})
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(temporary, folder)
    return folder


def read_checkpoint_state(folder: Path) -> dict:
    return json.loads((Path(folder) / STATE_FILE).read_text(encoding="utf-8"))


def network_file(folder: Path, name: str) -> Path:
    """Where a checkpoint folder holds the weights of its network `name` (G, D, G_ema)."""
    return Path(folder) / f"{name}.safetensors"


def tensor_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """The name and shape of every tensor of a safetensors file, read from its header alone."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as tensors:
        return {name: tuple(tensors.get_slice(name).get_shape()) for name in tensors.keys()}


def missing_files(folder: Path, state: dict) -> list[str]:
    """The files a checkpoint (or handoff) folder lacks for a resume: G's weights, and each optimiser's
    state (in optimizers.safetensors or, in a handoff, a file of its own) with the weights it moves."""
    folder = Path(folder)
    optimizers = list(state.get("optimizer_param_groups") or {})
    needed = [network_file(folder, name) for name in dict.fromkeys(["G", *optimizers])]
    handoff = [folder / HANDOFF_OPTIMIZER_FILE.format(name) for name in optimizers]
    if not any(path.is_file() for path in handoff):
        needed.append(folder / OPTIMIZERS_FILE)
    elif not (folder / OPTIMIZERS_FILE).is_file():
        needed += handoff
    return [path.name for path in needed if not path.is_file()]


def load_network(folder: Path, name: str, network: nn.Module,
                 adapt: Callable[[str, dict], dict] | None = None) -> nn.Module:
    """The weights of network `name` of a checkpoint, through `adapt(name, tensors)` if given (an
    architecture that grew on the resume)."""
    from safetensors.torch import load_file

    tensors = load_file(str(network_file(folder, name)))
    network.load_state_dict(adapt(name, tensors) if adapt else tensors)
    return network


def load_optimizers(folder: Path, optimizers: dict[str, torch.optim.Optimizer], state: dict) -> None:
    """The optimisers' state of a checkpoint, or of a handoff (one bf16 file per optimiser, which
    `load_state_dict` casts back to the parameters' dtype)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if (folder / OPTIMIZERS_FILE).is_file():
        tensors = load_file(str(folder / OPTIMIZERS_FILE))
    else:
        tensors = {key: value for name in optimizers
                   for key, value in load_file(str(folder / HANDOFF_OPTIMIZER_FILE.format(name))).items()}
    for name, optimizer in optimizers.items():
        prefix = f"{name}."
        own = {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)}
        for key, value in list(own.items()):  # a handoff leaves out first moments that were never read
            if key.endswith(".exp_avg_sq") and key.removesuffix("_sq") not in own:
                own[key.removesuffix("_sq")] = torch.zeros_like(value)
        optimizer.load_state_dict(_unflatten_optimizer(own, _with_added_parameters(
            state["optimizer_param_groups"][name], optimizer)))


def _with_added_parameters(groups: list[dict], optimizer: torch.optim.Optimizer) -> list[dict]:
    """A checkpoint's parameter groups of `optimizer`, whose last group may end in parameters that
    the resume added to the network after all of the checkpoint's (noise inputs): they take the
    next indices, without moments, which Adam starts afresh."""
    added = len(optimizer.param_groups[-1]["params"]) - len(groups[-1]["params"])
    if added <= 0 or len(groups) != len(optimizer.param_groups):
        return groups
    after = 1 + max((index for group in groups for index in group["params"]), default=-1)
    return [*groups[:-1], {**groups[-1], "params": [*groups[-1]["params"], *range(after, after + added)]}]


def write_handoff_optimizers(checkpoint: Path, folder: Path) -> None:
    """Each optimiser of `checkpoint` in its own file of `folder`, its moments in bf16 (step
    counts as they are). An Adam with beta1 = 0 (ProGAN's, the place and ground runs') overwrites
    its first moment with the next gradient before reading it, so its handoff leaves that moment
    out (half of the optimiser's bytes) and a resume starts it at zero."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(Path(checkpoint) / OPTIMIZERS_FILE))
    for name, groups in read_checkpoint_state(checkpoint)["optimizer_param_groups"].items():
        unread = all(group.get("betas", (1.0,))[0] == 0 for group in groups)
        own = {key: value.to(torch.bfloat16) if value.is_floating_point() and not key.endswith(".step") else value
               for key, value in tensors.items()
               if key.startswith(f"{name}.") and not (unread and key.endswith(".exp_avg"))}
        save_file(own, str(Path(folder) / HANDOFF_OPTIMIZER_FILE.format(name)))


def list_checkpoints(run: Path) -> list[Path]:
    """The complete checkpoints of a run folder, oldest first."""
    run = Path(run)
    found = [entry for entry in run.glob(f"{CHECKPOINT_PREFIX}*")
             if entry.is_dir() and not entry.name.endswith(".tmp") and (entry / STATE_FILE).is_file()]
    return sorted(found, key=lambda entry: read_checkpoint_state(entry).get("nimg", 0))


def _flatten_optimizer(state_dict: dict) -> tuple[dict[str, torch.Tensor], list]:
    """Split an optimiser state dict into its tensors ("<param>.<key>") and the JSON rest."""
    tensors = {}
    for index, param_state in state_dict["state"].items():
        for key, value in param_state.items():
            tensors[f"{index}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return tensors, state_dict["param_groups"]


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], param_groups: list) -> dict:
    state: dict[int, dict] = {}
    for name, value in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": param_groups}


def _cpu_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().to("cpu", copy=True).contiguous() for name, tensor in tensors.items()}


def _write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
