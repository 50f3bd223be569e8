"""Does a two-voice split of the speaker embeddings follow the turns? A permutation test.

The embeddings' two-means split (``voices.split_embeddings``) is judged by absolute limits: how
far apart its two centres are and how far its lines lean. Those limits were set on the tuning
voices, and two similar but tight real voices fall inside them and are left unknown, while one
speaker's two recordings can fall outside. A second, independent question needs no limit of
that kind: the split was found without the turn-taking and the turn-taking proposes a partition
without the audio (the opener, then the other party after each turn), so if the two agree far
better than a split of the same sizes placed at random would, the split is two parties taking
turns, not one voice cut in two. One voice split in two agrees with the turns only by chance.
The null is the call's own lines relabelled, so the test is per call and calibrated by
construction: at ``p_one`` or above it is no evidence, at ``p_clear`` or below clear.

Pure functions over arrays: ``labels`` are the split's sides (+1 / -1), ``guide`` the turn
partition's (+1 / -1, 0 = no side).
"""

from __future__ import annotations

import math

import numpy as np


def agreement(labels: np.ndarray, guide: np.ndarray) -> float:
    """Share of the guided lines on which split and turns agree, whichever side is which."""
    m = guide != 0
    if not m.any():
        return 0.0
    share = float((labels[m] == guide[m]).mean())
    return max(share, 1.0 - share)


def turn_p_value(labels: np.ndarray, guide: np.ndarray, runs: int, seed: int = 7) -> float:
    """P(a random relabelling of the split, same side sizes, agrees with the turns at least as
    well), by ``runs`` permutations; 1.0 when the split or the turns have one side only."""
    if runs < 1 or len(set(labels.tolist())) < 2 or not ((guide > 0).any() and (guide < 0).any()):
        return 1.0
    seen = agreement(labels, guide)
    rng = np.random.default_rng(seed)
    hits = sum(agreement(rng.permutation(labels), guide) >= seen - 1e-12 for _ in range(runs))
    return (1 + hits) / (runs + 1)


def turn_clarity(p: float, p_one: float, p_clear: float) -> float:
    """A p-value as clarity 0..1: 0 at ``p_one`` or above, 1 at ``p_clear`` or below, linear
    in log p between."""
    if p >= p_one:
        return 0.0
    return float(min(1.0, math.log(p_one / max(p, 1e-12)) / math.log(p_one / p_clear)))
