"""`python -m ml train ...` under torchrun, keeping each rank's final G weights in OUT_DIR:
`torchrun --nproc-per-node 2 tests/ml/train/ddp_probe.py OUT_DIR train place ...`."""
import sys

from safetensors.torch import save_file

from ml.cli import main
from ml.train import place

finish_training = place.PlaceTrainer.finish_training


def finish_and_keep(self) -> None:
    finish_training(self)
    weights = {name: tensor.contiguous() for name, tensor in self.G.state_dict().items()}
    save_file(weights, f"{sys.argv[1]}/rank{self.dist.rank}.safetensors")


place.PlaceTrainer.finish_training = finish_and_keep
sys.exit(main(sys.argv[2:]))
