"""The customer's state: calm, upset or hostile, from their words and, when measured, their voice.

Hostile: insults, complaint or regulator threats, or shouting (a line well above the customer's
own median loudness with the pitch up). Upset: distress or irritation words, or a raised voice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .levels import line_measures, speaker_median
from .sounds import heard_as, sounds_like
from .text import blank, first_match

CALM, UPSET, HOSTILE = "calm", "upset", "hostile"
_RANK = {CALM: 0, UPSET: 1, HOSTILE: 2}


def negated_pay(text: str, cfg: dict[str, Any]) -> str | None:
    """A refusal by its structure: a refusing negation (不打算, 不会 ...) right before a pay verb,
    the verb as written or, one syllable, by its sound (不打算海了: 海 for 还); None if absent.
    A second negation after it (不会不还) is no refusal."""
    c, p = cfg["customer"], cfg["promise"]
    text = blank(text, c["refusal_unless"])
    for neg in sorted(c["refusal_negators"], key=len, reverse=True):
        pos = text.find(neg)
        while pos >= 0:
            rest = text[pos + len(neg):pos + len(neg) + 3].lstrip("再去")
            verb = next((v for v in p["pay_verbs"] if rest.startswith(v)), None)
            if verb is None and rest[:1] and any(sounds_like(rest[0], v)
                                                 for v in p["verb_sounds"]):
                verb = rest[0]
            if verb is not None:
                return neg + verb
            pos = text.find(neg, pos + 1)
    return None


def line_cues(text: str, cfg: dict[str, Any]) -> dict[str, str | None]:
    """The cue phrases one customer line holds, by kind (None where absent); the line is read
    with the cue words' homophones rewritten (``auditor.outcome.sounds``)."""
    c = cfg["customer"]
    text = heard_as(text, cfg["promise"]["heard_words"])
    return {
        "insult": first_match(text, c["insults"]),
        "complaint_threat": first_match(text, c["complaint_threats"]),
        "refusal": first_match(text, c["refusal"], c["refusal_unless"]) or negated_pay(text, cfg),
        "upset": first_match(text, c["upset"]),
    }


def _voice_state(m: dict, loud_med: float | None, pitch_med: float | None,
                 v: dict[str, Any]) -> str:
    if loud_med is None or m["loudness_dbfs"] is None:
        return CALM
    above = m["loudness_dbfs"] - loud_med
    pitch_up = (pitch_med is not None and m["pitch_hz"] is not None
                and m["pitch_hz"] >= pitch_med * (1 + v["pitch_up"]))
    if above >= v["shout_db"] and pitch_up:
        return HOSTILE
    if above >= v["raised_db"]:
        return UPSET
    return CALM


def customer_lines(utts: Sequence[Mapping], voice: Mapping | None,
                   cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """For each customer line: its index, its cues and its state (calm / upset / hostile)."""
    measures = line_measures(utts, voice)
    v = cfg["voice"]
    n = int(v["min_lines"])
    loud_med = speaker_median(utts, measures, "customer", "loudness_dbfs", n)
    pitch_med = speaker_median(utts, measures, "customer", "pitch_hz", n)
    out = []
    for i, u in enumerate(utts):
        if u.get("speaker") != "customer":
            continue
        cues = line_cues(u.get("text") or "", cfg)
        state = CALM
        if cues["insult"] or cues["complaint_threat"]:
            state = HOSTILE
        elif cues["upset"]:
            state = UPSET
        vs = _voice_state(measures[i], loud_med, pitch_med, v)
        if _RANK[vs] > _RANK[state]:
            state = vs
        out.append({"index": i, "cues": cues, "state": state, "voice": vs})
    return out


def customer_state(utts: Sequence[Mapping], voice: Mapping | None, cfg: dict[str, Any],
                   lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The spec's `customer` object: emotion, complaint_threat, refusal."""
    lines = customer_lines(utts, voice, cfg) if lines is None else lines
    emotion = max((ln["state"] for ln in lines), key=_RANK.__getitem__, default=CALM)
    return {
        "emotion": emotion,
        "complaint_threat": any(ln["cues"]["complaint_threat"] for ln in lines),
        "refusal": any(ln["cues"]["refusal"] for ln in lines),
    }
