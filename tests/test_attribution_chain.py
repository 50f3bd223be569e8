"""Voices and turn-taking fitted together (``attribution._chain_em``) on voice vectors."""

from __future__ import annotations

import numpy as np

from auditor.speakers.attribution import _chain_em
from auditor.speakers.features import EMBED_INDEX
from auditor.speakers.roles import smooth_turns
from auditor.speakers.settings import load_attribution_settings

N_EMBED = EMBED_INDEX["ltas"].stop


def _lines(sides: str, gap: float, seed: int) -> np.ndarray:
    """Voice columns (embedding + rate) of lines whose party is given by ``sides`` (A / c):
    each party's timbre columns sit ``gap`` apart, plus noise."""
    rng = np.random.default_rng(seed)
    centre = {"A": rng.standard_normal(N_EMBED + 1), "c": rng.standard_normal(N_EMBED + 1)}
    centre["c"] = centre["A"] + gap * (centre["c"] - centre["A"]) / np.linalg.norm(
        centre["c"] - centre["A"]) * np.sqrt(N_EMBED + 1)
    return np.stack([centre[s] + 0.5 * rng.standard_normal(N_EMBED + 1) for s in sides])


def test_a_run_of_one_partys_lines_goes_with_its_voice_not_with_strict_alternation():
    # The agent opens, the parties alternate, then the agent says three lines in a row. The
    # turn chain alone alternates to the end; fitted together with the voices, the run stays
    # with the agent.
    sides = "AcAcAAA"
    x = _lines(sides, gap=1.0, seed=3)
    secs = np.full(len(sides), 3.0)
    prior = np.zeros(len(sides))
    prior[0] = 1.0
    change = np.full(len(sides) - 1, 0.65)
    turns_only = smooth_turns(prior, change)
    assert np.sign(turns_only[5]) < 0  # turn-taking alone puts line 5 on the customer side
    post = _chain_em(x, secs, prior, change, list(range(len(sides))), 0.5,
                     load_attribution_settings())
    assert post is not None
    assert [("A" if v > 0 else "c") for v in post] == list(sides)


def test_without_voice_weight_the_chain_is_the_turn_chain():
    sides = "AcAcAc"
    x = _lines(sides, gap=1.0, seed=4)
    prior = np.array([1.0, 0, 0, 0, 0, 0])
    change = np.full(5, 0.65)
    post = _chain_em(x, np.full(6, 2.0), prior, change, list(range(6)), 0.0,
                     load_attribution_settings())
    assert post is not None
    assert np.allclose(post, smooth_turns(prior, change))
