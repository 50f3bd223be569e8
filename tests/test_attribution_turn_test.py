"""The dialogue's partition tested on speaker embeddings; how well a partition fits the turns."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.speakers.attribution import _between, _turn_embeddings, _turn_fit
from auditor.speakers.settings import load_attribution_settings

SETTINGS = load_attribution_settings()
DIM = 64


def _voice_lines(sides: str, spread: float, seed: int) -> list[np.ndarray]:
    """Unit embeddings of lines spoken by voice A or c (``sides``): each voice a direction, each
    line that direction plus noise of ``spread`` per dimension. At spread 1.0 lines of one voice
    sit at a cosine of about 0.56, lines of the two voices at about 0.40: close voices and noisy
    lines, as short lines of two real people are on the tuning calls."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(DIM)
    centre = {v: shared + 0.6 * rng.standard_normal(DIM) for v in "Ac"}
    out = []
    for v in sides:
        e = centre[v] + spread * rng.standard_normal(DIM)
        out.append(e / np.linalg.norm(e))
    return out


def test_a_turn_partition_the_voices_back_is_clear_and_scores_each_line():
    sides = "AcAcAcAcAcAc"
    hits = 0
    for seed in range(10):
        vecs = _voice_lines(sides, 1.0, seed)
        turns = np.array([1.0 if v == "A" else -1.0 for v in sides])
        out = _turn_embeddings(vecs, np.full(len(sides), 3.0), turns, SETTINGS)
        if out is not None and out[0] > 0.5:
            hits += 1
            assert (np.sign(out[1]) == turns).mean() >= 0.9
    assert hits >= 8


def test_one_voice_rarely_backs_the_turns():
    # The permutation null: one voice's lines back the proposed partition only by chance.
    clear = 0
    for seed in range(40):
        vecs = _voice_lines("A" * 12, 1.0, seed)
        turns = np.array([1.0, -1.0] * 6)
        out = _turn_embeddings(vecs, np.full(12, 3.0), turns, SETTINGS)
        clear += out is not None and out[0] >= 0.5
    assert clear <= 3  # p below ~0.03 by chance: a few in a hundred


def test_a_line_the_turns_put_on_the_wrong_side_goes_with_its_voice():
    sides = "AcAcAcAcAcAA"  # the agent says the last two lines
    turns = np.array([1.0, -1.0] * 6)  # the dialogue proposes strict alternation
    vecs = _voice_lines(sides, 0.6, 3)
    out = _turn_embeddings(vecs, np.full(12, 3.0), turns, SETTINGS)
    assert out is not None
    assert out[1][-1] > 0  # line 11 is the agent's voice, though the turns said customer


def test_too_few_lines_on_a_side_give_no_test():
    vecs = _voice_lines("AcAA", 0.5, 1)
    assert _turn_embeddings(vecs, np.full(4, 3.0), np.array([1.0, -1.0, 1.0, 1.0]),
                            SETTINGS) is None
    assert _turn_embeddings([None, *vecs[1:]], np.full(4, 3.0), np.array([1.0, -1.0, 1.0, -1.0]),
                            SETTINGS) is None


def test_turn_fit_says_whether_voices_change_where_the_turns_do():
    change = np.full(7, 0.65)
    alternating = np.array([1.0, -1, 1, -1, 1, -1, 1, -1])
    halves = np.array([1.0, 1, 1, 1, -1, -1, -1, -1])  # two recordings of one party, say
    assert _turn_fit(alternating, change) > 0
    assert _turn_fit(halves, change) < 0
    assert _turn_fit(np.zeros(8), change) == 0.0  # no sides: no evidence either way


def test_between_chains_the_change_chances_over_skipped_lines():
    change = np.array([0.9, 0.9, 0.5])
    out = _between(change, [0, 2, 3])
    # Two likely changes in a row (0 -> 1 -> 2) mostly come back to the first speaker.
    assert out[0] == pytest.approx(2 * 0.9 * 0.1)
    assert out[1] == pytest.approx(0.5)  # neighbours: their own chance
