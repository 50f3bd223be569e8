"""How the agent handled an upset or hostile customer: one informational coaching flag.

`outcome.handling.in_kind` when, after the customer turned upset or hostile, an agent line is
louder or faster than the agent's own median or holds counter-insults / banned service phrases;
otherwise `outcome.handling.calm` (level and rate steady, de-escalating words quoted if any).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditor.core.flag import make_flag

from .config import load_config
from .emotion import CALM, customer_lines
from .levels import line_measures, speaker_median
from .text import first_match

CATEGORY = "info_agent_handling"
RULE_CALM, RULE_IN_KIND = "outcome.handling.calm", "outcome.handling.in_kind"


def _in_kind(text: str, m: dict, loud_med: float | None, rate_med: float | None,
             h: dict[str, Any]) -> str | None:
    """Why this agent line answers in kind (the matched phrase or measure), else None."""
    word = first_match(text, h["in_kind_words"])
    if word:
        return word
    if loud_med is not None and m["loudness_dbfs"] is not None \
            and m["loudness_dbfs"] - loud_med >= h["louder_db"]:
        return f"+{m['loudness_dbfs'] - loud_med:.1f} dB over own median"
    if rate_med is not None and m["rate_cpm"] is not None and m["duration_s"] >= h["min_rate_s"] \
            and m["rate_cpm"] >= rate_med * (1 + h["faster"]):
        return f"{m['rate_cpm']:.0f} cpm vs own median {rate_med:.0f}"
    return None


def handling_flags(utterances: Sequence[Mapping], outcome: Mapping, voice: Mapping | None = None,
                   config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The coaching flag for the agent's handling of an upset or hostile customer ([] if calm)."""
    cfg = config or load_config()
    emotion = (outcome.get("customer") or {}).get("emotion")
    if emotion in (None, CALM):
        return []
    utts = [u for u in utterances if (u.get("text") or "").strip()]
    trigger = next((ln["index"] for ln in customer_lines(utts, voice, cfg)
                    if ln["state"] != CALM), None)
    if trigger is None:
        return []
    response = [i for i in range(trigger + 1, len(utts)) if utts[i].get("speaker") == "agent"]
    if not response:
        return []
    h = cfg["handling"]
    measures = line_measures(utts, voice)
    n = int(h["min_lines"])
    loud_med = speaker_median(utts, measures, "agent", "loudness_dbfs", n)
    rate_med = speaker_median(utts, measures, "agent", "rate_cpm", n, h["min_rate_s"])
    for i in response:
        why = _in_kind(utts[i].get("text") or "", measures[i], loud_med, rate_med, h)
        if why:
            u = utts[i]
            return [make_flag(CATEGORY, RULE_IN_KIND, "info", "agent", u.get("start"), u.get("end"),
                              u.get("text") or "", why, customer_emotion=emotion)]
    calm = next(((i, w) for i in response
                 if (w := first_match(utts[i].get("text") or "", h["calm_words"]))), None)
    i, word = calm if calm else (response[0], "level and rate steady")
    first, last = utts[response[0]], utts[response[-1]]
    return [make_flag(CATEGORY, RULE_CALM, "info", "agent", first.get("start"), last.get("end"),
                      utts[i].get("text") or "", word, customer_emotion=emotion)]
