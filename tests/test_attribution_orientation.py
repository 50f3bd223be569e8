"""Which of two clear voices is the agent's: voice-level evidence, and its margin as a bound."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auditor.speakers.attribution import _orientation, _oriented
from auditor.speakers.roles import load_roles


def _call(agent_s: float, customer_s: float, n: int = 6) -> tuple[np.ndarray, list[dict]]:
    """Alternating lines of two perfectly separated voices, the first voice opening."""
    unsup, utts, t = [], [], 0.0
    for k in range(n):
        dur = agent_s if k % 2 == 0 else customer_s
        utts.append({"start": t, "end": t + dur, "text": ""})
        unsup.append(8.0 if k % 2 == 0 else -8.0)
        t += dur + 0.5
    return np.array(unsup), utts


def test_the_opener_is_not_outvoted_by_the_number_of_long_answers() -> None:
    roles = load_roles()
    unsup, utts = _call(agent_s=1.6, customer_s=4.5, n=10)
    no_cues = np.zeros(len(utts))
    # No cue at all, the answers longer than the opener's lines: the opener still names the agent.
    assert _orientation(unsup, utts, no_cues, roles) > 0
    # The length evidence counts once for the voice, however many lines it has.
    _, many = _call(agent_s=1.6, customer_s=4.5, n=30)
    unsup_many = np.array([8.0 if k % 2 == 0 else -8.0 for k in range(30)])
    assert _orientation(unsup_many, many, np.zeros(30), roles) == pytest.approx(
        _orientation(unsup, utts, no_cues, roles))


def test_role_cues_of_the_lines_outweigh_the_opener() -> None:
    roles = load_roles()
    unsup, utts = _call(agent_s=2.0, customer_s=2.0)
    cues = np.where(unsup > 0, -3.0, 3.0)  # the second voice asks and explains, the first answers
    assert _orientation(unsup, utts, cues, roles) < 0


def test_without_an_opener_weight_length_decides() -> None:
    roles = dataclasses.replace(load_roles(), opener_voice_agent=0.0)
    unsup, utts = _call(agent_s=1.0, customer_s=4.0)
    assert _orientation(unsup, utts, np.zeros(len(utts)), roles) < 0


def test_a_line_is_no_surer_of_its_role_than_the_call_of_its_voices() -> None:
    unsup = np.array([8.0, -8.0, 0.5, 0.0])
    for margin in (0.5, 2.0, 3.0):
        out = _oriented(unsup, margin)
        assert np.all(np.abs(out) <= margin + 1e-9)
        assert out[0] > 0 > out[1] and abs(out[3]) < 1e-9
    assert abs(_oriented(unsup, 30.0)[0] - 8.0) < 1e-6  # a sure orientation keeps the voice's odds
