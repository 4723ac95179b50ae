"""The compose diversity's distance: the mean over the pairs within each group, 0 for identical
pictures, pooled over pairs (not groups), and refused when there is no pair."""
import numpy as np
import pytest

from ml.eval.compose_metrics import mean_pairwise_distance


def test_identical_pictures_are_at_distance_zero():
    same = np.tile(np.array([[0.3, -1.2, 4.0]]), (4, 1))
    assert mean_pairwise_distance([same, same[:2]]) == 0.0


def test_the_distance_is_euclidean_over_the_pairs_of_each_group():
    assert mean_pairwise_distance([np.array([[0.0, 0.0], [3.0, 4.0]])]) == pytest.approx(5.0)
    # three pictures: pairs 5, 5 and 10
    assert mean_pairwise_distance([np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])]) == pytest.approx(20 / 3)


def test_pairs_are_pooled_and_pictures_of_different_groups_are_never_compared():
    two = np.array([[0.0, 0.0], [3.0, 4.0]])  # one pair: 5
    three = np.array([[100.0, 0.0], [100.0, 1.0], [100.0, 2.0]])  # pairs 1, 2, 1
    alone = np.array([[-50.0, 7.0]])  # no pair
    assert mean_pairwise_distance([two, three, alone]) == pytest.approx((5 + 1 + 2 + 1) / 4)


def test_no_pair_is_refused():
    with pytest.raises(ValueError, match="no group holds two pictures"):
        mean_pairwise_distance([np.zeros((1, 3)), np.ones((1, 3))])
