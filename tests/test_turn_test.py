"""The permutation test of an embedding split against the turns, and the per-call calibration
of a split's leave-one-out scores (speakers/turn_test.py, voices.calibrated_leans)."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.speakers.settings import load_attribution_settings
from auditor.speakers.turn_test import agreement, turn_clarity, turn_p_value
from auditor.speakers.voices import (
    LLR_CAP,
    average_linkage_two,
    calibrated_leans,
    embedding_splits,
)

ALTERNATING = np.array([1, -1] * 7)


def test_a_split_that_follows_the_turns_is_far_beyond_chance() -> None:
    assert agreement(ALTERNATING, ALTERNATING) == 1.0
    assert agreement(-ALTERNATING, ALTERNATING) == 1.0  # which side is which does not matter
    assert turn_p_value(ALTERNATING, ALTERNATING, runs=400) < 0.01


def test_one_voice_cut_in_two_agrees_with_the_turns_only_by_chance() -> None:
    # The split of one recording into its two halves, against alternating turns.
    halves = np.array([1] * 7 + [-1] * 7)
    assert turn_p_value(halves, ALTERNATING, runs=400) > 0.3


@pytest.mark.parametrize("labels", [np.ones(6), np.array([1, -1, 1, -1, 1, -1])])
def test_nothing_to_test_without_two_sides(labels: np.ndarray) -> None:
    assert turn_p_value(labels, np.ones(6), runs=100) == 1.0
    assert turn_p_value(np.ones(6), np.array([1, -1] * 3), runs=100) == 1.0


def test_few_lines_can_never_be_clear() -> None:
    # Four lines have three partitions of two and two: even a perfect match is weak evidence.
    p = turn_p_value(np.array([1, -1, 1, -1]), np.array([1, -1, 1, -1]), runs=400)
    assert p > 0.2


@pytest.mark.parametrize(("p", "clarity"), [(0.5, 0.0), (0.2, 0.0), (0.02, 1.0), (0.001, 1.0)])
def test_clarity_from_the_p_value(p: float, clarity: float) -> None:
    assert turn_clarity(p, 0.2, 0.02) == pytest.approx(clarity)


def test_clarity_is_log_linear_between() -> None:
    assert turn_clarity(np.sqrt(0.2 * 0.02), 0.2, 0.02) == pytest.approx(0.5)


def test_tight_similar_voices_become_sure_on_the_calls_own_scale() -> None:
    # Small leans that never cross zero: each side's lines sit close together.
    llr = np.array([1.2, -1.1, 1.3, -1.2, 1.1, -1.3])
    out = calibrated_leans(llr, np.ones(6))
    assert np.all(np.sign(out) == np.sign(llr))
    assert np.all(np.abs(out) == LLR_CAP)


def test_overlapping_leans_stay_unsure() -> None:
    llr = np.array([0.3, -0.2, 1.5, -1.4, 0.1, -0.1, 2.0, -1.8])
    out = calibrated_leans(llr, np.ones(8))
    assert np.abs(out[[4, 5]]).max() < 1.0  # lines in the overlap
    assert np.abs(out[[2, 6]]).min() > np.abs(out[[0, 4]]).max()


def test_one_sided_scores_are_left_as_they_are() -> None:
    llr = np.array([0.5, 0.2, 0.9])
    assert np.array_equal(calibrated_leans(llr, np.ones(3)), llr)


def _unit_rows(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_average_linkage_keeps_a_party_of_two_recordings_together() -> None:
    # The agent from two recordings (lines 0-2 and 3-4, a little apart), the customer once.
    rng = np.random.default_rng(3)
    a1, a2, c = (rng.standard_normal(16) for _ in range(3))
    a2 = a1 + 0.8 * a2
    x = _unit_rows(np.stack([a1, a1, a1, a2, a2, c]) + 0.15 * rng.standard_normal((6, 16)))
    labels = average_linkage_two(x @ x.T)
    assert labels is not None and labels.tolist() == [False] * 5 + [True]
    splits = embedding_splits(x, np.ones(6), load_attribution_settings().embeddings)
    assert len(splits) in (1, 2) and all(len(llr) == 6 for _, llr in splits)


def test_average_linkage_needs_two_items() -> None:
    assert average_linkage_two(np.ones((1, 1))) is None


def _linkage_by_definition(sim: np.ndarray) -> np.ndarray:
    """Average linkage as defined: merge the two clusters of the highest mean cosine (every pair
    of clusters averaged again at each step), the last such pair on a tie, down to two."""
    clusters = [[k] for k in range(len(sim))]
    while len(clusters) > 2:
        _, i, j = max((float(sim[np.ix_(a, b)].mean()), i, j) for i, a in enumerate(clusters)
                      for j, b in enumerate(clusters) if i < j)
        clusters[i] = clusters[i] + clusters.pop(j)
    labels = np.ones(len(sim), dtype=bool)
    labels[next(c for c in clusters if 0 in c)] = False
    return labels


def test_average_linkage_updates_give_the_definitions_clusters() -> None:
    rng = np.random.default_rng(3)
    for _ in range(60):
        n, k = int(rng.integers(2, 20)), int(rng.integers(1, 4))
        x = rng.normal(size=(k, 16))[rng.integers(0, k, n)] + rng.normal(
            scale=rng.uniform(0.2, 2.0), size=(n, 16))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        assert np.array_equal(average_linkage_two(x @ x.T), _linkage_by_definition(x @ x.T))
