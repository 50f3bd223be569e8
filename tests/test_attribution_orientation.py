"""Which of two clear voices is the agent's: voice-level evidence, and its margin as a bound."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auditor.speakers.attribution import _named, _named_turns, _orientation, _oriented
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


def test_a_line_s_own_cue_is_not_counted_twice() -> None:
    """A customer-sounding phrase in one agent line: it weakens the naming of the voices for the
    other lines, but for its own line the naming leaves it out (it is that line's own evidence,
    counted once more in the turn chain), so the line keeps at least the margin it would have
    had without the phrase."""
    roles = load_roles()
    unsup, utts = _call(agent_s=2.0, customer_s=2.0)
    cues = np.zeros(len(utts))
    cues[2] = -2.0  # the opener's voice, third line
    clean = _named(unsup, utts, np.zeros(len(utts)), roles)
    noisy = _named(unsup, utts, cues, roles)
    assert noisy[2] == pytest.approx(clean[2])  # its own cue leaves its naming as it was
    assert noisy[0] < clean[0] and noisy[1] > clean[1]  # the others' naming is less sure
    # with no cues at all, the per-line naming is the call's one orientation
    margin = _orientation(unsup, utts, np.zeros(len(utts)), roles)
    assert np.allclose(clean, _oriented(unsup, margin))


def test_the_naming_is_one_doubt_for_the_call_not_one_per_line() -> None:
    """Two clearly heard voices, the opener's voice going on for a run of lines at the end (the
    other party has stopped answering). The turn chain expects the speaker to change, but the
    voices say who spoke: under a fairly sure naming every line of the run keeps the naming's
    certainty, and under a coin-flip naming no line is surer than a coin flip."""
    roles = load_roles()
    voice = np.array([8.0, -8.0, 8.0, -8.0, 8.0, 8.0, 8.0, 8.0])
    change = np.full(len(voice) - 1, roles.turns.change)
    prior = np.zeros(len(voice))
    sure = _named_turns(prior, 1.0, (voice, np.full(len(voice), 1.7)), change)
    assert np.all(sure[voice > 0] > roles.decision.log_odds)  # all the run's lines settled agent
    assert np.all(sure[voice < 0] < -roles.decision.log_odds)
    assert np.all(np.abs(sure) <= 1.7 + 1e-6)  # never surer than the naming
    unsure = _named_turns(prior, 1.0, (voice, np.zeros(len(voice))), change)
    assert np.allclose(unsure, 0.0, atol=1e-6)


def _embedded_call(n: int, two: bool, seed: int):
    """Voice vectors of n alternating lines (opener first): two voices apart, or one voice."""
    from auditor.speakers.features import EMBED_INDEX

    rng = np.random.default_rng(seed)
    dim = EMBED_INDEX["ltas"].stop
    offset = 2.0 * rng.choice([-1.0, 1.0], dim)  # every column clearly apart
    embs, utts, t = [], [], 0.0
    for k in range(n):
        dur = 2.0 if k % 2 == 0 else 1.2
        vec = rng.normal(0.0, 1.0, dim) + (offset if two and k % 2 else 0.0)
        embs.append((vec, dur))
        utts.append({"start": t, "end": t + dur, "text": ""})
        t += dur + 0.5
    return embs, utts


def test_turn_taking_proposes_the_voices_and_the_voices_must_back_it() -> None:
    from auditor.speakers.attribution import _turn_voices
    from auditor.speakers.roles import change_probability
    from auditor.speakers.settings import load_attribution_settings

    roles = load_roles()
    for seed in range(5):
        for two in (True, False):
            embs, utts = _embedded_call(12, two, seed)
            idx = list(range(len(utts)))
            secs = np.array([e[1] for e in embs])
            prior = np.zeros(len(utts))
            prior[0] = roles.first_speaker_agent
            change = np.array([change_probability(a, b, roles) for a, b in
                               zip(utts, utts[1:], strict=False)])
            out = _turn_voices(embs, utts, idx, secs, prior, change, np.zeros(len(utts)), roles,
                               load_attribution_settings())
            if two:
                assert out is not None
                llr, agree = out
                truth = np.array([1 if k % 2 == 0 else -1 for k in idx])
                assert agree > 0.5 and (np.sign(llr) == truth).mean() >= 0.9
            else:  # one voice backs the proposal only by chance, if at all
                assert out is None or out[1] < 0.5
