"""`python -m ml handoff RUN_DIR --out DIR`: a run's latest checkpoint, small enough to commit, that
`python -m ml train KIND --resume DIR` continues on another machine.

A checkpoint's optimisers file holds the Adam moments of every network in fp32 (15 MB for the
64x64 place run), over the 5 MB a committed file may weigh. The handoff keeps the networks as
they are (fp32, bit for bit), and writes each optimiser's tensors to its own file in bf16:
bf16 keeps fp32's exponent range, so the second moments (down to 1e-12) survive, and the
moments only steer the next steps, where 8 bits of mantissa are enough. Loading casts them back
to the parameters' dtype (`torch.optim.Optimizer.load_state_dict`). Adam's step counts stay fp32.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from ml.cli import CommandError
from ml.train import checks, run_dir
from ml.train.export import named_checkpoint

MAX_FILE_BYTES = 5_000_000
ERROR_TOO_BIG = "{} would weigh {:.1f} MB, over the {:g} MB a committed file may weigh"


def run_handoff(args: argparse.Namespace) -> int:
    checks.check_out_folder(args.out)
    source = named_checkpoint(args.run, args.checkpoint)
    temporary = args.out.with_name(args.out.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    for network in sorted(source.glob("*.safetensors")):
        if network.name != run_dir.OPTIMIZERS_FILE:
            shutil.copyfile(network, temporary / network.name)
    shutil.copyfile(source / run_dir.STATE_FILE, temporary / run_dir.STATE_FILE)
    run_dir.write_handoff_optimizers(source, temporary)
    for written in sorted(temporary.iterdir()):
        size = written.stat().st_size
        if size > MAX_FILE_BYTES:
            shutil.rmtree(temporary)
            raise CommandError(ERROR_TOO_BIG.format(written.name, size / 1e6, MAX_FILE_BYTES / 1e6))
    if args.out.exists():
        args.out.rmdir()
    temporary.rename(args.out)
    state = run_dir.read_checkpoint_state(args.out)
    total = sum(path.stat().st_size for path in args.out.iterdir())
    print(f"wrote {args.out} from {source} (kind {state['kind']}, kimg {state['kimg']:g}, "
          f"{state.get('cpu_seconds', 0) / 3600:.2f} CPU-hours, {total / 1e6:.1f} MB); continue it with "
          f"python -m ml train {state['kind']} --resume {args.out} --data DIR --out RUNS")
    return 0
