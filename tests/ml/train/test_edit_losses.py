"""The SIMGAN loss terms at values whose results are known."""
import math

import torch

from ml.train.edit_losses import ConditioningKL, ReconstructionLoss, LeastSquaresDiscriminatorLoss, LeastSquaresGeneratorLoss


def test_least_squares_terms():
    ones, zeros = torch.ones(4), torch.zeros(4)
    assert LeastSquaresDiscriminatorLoss()(ones, zeros, zeros).item() == 0
    assert LeastSquaresDiscriminatorLoss()(zeros, ones, ones).item() == 2  # 1 + (1 + 1) / 2
    assert LeastSquaresGeneratorLoss()(ones).item() == 0
    assert LeastSquaresGeneratorLoss()(torch.full((4,), 3.0)).item() == 4


def test_cycle_loss_is_weighted_l1():
    source = torch.zeros(2, 3, 4, 4)
    assert ReconstructionLoss(10.0)(source, source).item() == 0
    assert math.isclose(ReconstructionLoss(10.0)(source + 0.5, source).item(), 5.0)


def test_kl_is_zero_at_the_standard_normal_and_grows_away_from_it():
    zeros = torch.zeros(3, 8)
    assert ConditioningKL(1.0)(zeros, zeros).item() == 0
    assert math.isclose(ConditioningKL(1.0)(torch.ones(3, 8), zeros).item(), 0.5)
    assert ConditioningKL(2.0)(zeros, torch.ones(3, 8)).item() > 0
