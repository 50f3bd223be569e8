"""Evidence: whose words an utterance holds, how far they can be trusted, and the flag on them.

**Speakers.** A rule applies to the speakers it names (``speakers``, agent by default). A
settled customer's words never raise one of the scorecard's agent categories (the packs cannot
even say so: ``auditor rules check`` rejects it); customer rules use an ``info_`` category.
A line whose speaker is *unsettled* -- speaker ``unknown``, or an ``agent_posterior`` (P(agent)
from mono attribution) strictly between ``[speaker] unsettled_low`` and ``unsettled_high`` of
``auditor/config/evidence.toml`` -- may be the agent's: agent-category rules run on it and their
hits are raised as ``uncertain`` for review, never dropped (``may_be_agent``).

**Trust.** ``uncertain_reasons`` is the one place that decides whether a flag's evidence is
uncertain: the evidence line's recogniser confidence (``utterances[].confidence``, missing =
1.0) below ``[confidence] low``; an unsettled speaker; or a match that exists only through fuzzy
pinyin (``via = "pinyin"``) on a line below ``[confidence] fuzzy_low``. Below ``[confidence]
fuzzy_none`` such a match is not raised at all (``sound_only_unheard``): a sound-alike guess on
text the recogniser itself doubts is no evidence. Every flag built here
carries ``uncertain`` (true/false) and, when true, ``uncertain_reasons`` (short strings).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.compliance.pii import mask_text
from auditor.core import config
from auditor.core.config import Key
from auditor.core.flag import make_flag
from auditor.core.vocab import PARTIES

EVIDENCE_PATH = config.CONFIG_DIR / "evidence.toml"

_UNIT = Key(float, 0.0, 1.0)
_COUNT = Key(int, 0, 10000)
EVIDENCE_SCHEMA: config.Schema = {
    "confidence": {"low": _UNIT, "fuzzy_low": _UNIT, "fuzzy_none": _UNIT},
    "speaker": {"unsettled_low": _UNIT, "unsettled_high": _UNIT},
    "steps": {
        "min_agent_chars": _COUNT, "min_closing_chars": _COUNT, "min_greeting_chars": _COUNT,
        "closing_last_turns": Key(int, 1, 50), "intro_span": Key(int, 1, 60),
        "question_span": Key(int, 0, 40), "name_max_freq": _COUNT,
        "reply_window": Key(int, 1, 20), "follow_turns": Key(int, 0, 50),
        "short_reply_chars": Key(int, 0, 20), "opening_turns": Key(int, 1, 50),
        "min_confident_percent": Key(int, 0, 100), "staff_digits": Key(int, 1, 20),
        "judge_confidence_percent": Key(int, 0, 100), "min_chars_per_10s": Key(int, 0, 200),
        "reply_confident_percent": Key(int, 0, 100), "question_min_syllables": Key(int, 0, 50),
    },
    "words": {"surnames": Key(list), "denial_extra": Key(list), "question_back": Key(list),
              "question_openers": Key(list),
              "third_party_self": Key(list), "not_a_relation": Key(list),
              "answering_place": Key(list), "organisation_suffix": Key(list),
              "dwelling_position": Key(list), "bare_relation_not": Key(list),
              "away_state": Key(list),
              "third_person": Key(list),
              "engagement": Key(list), "own_state": Key(list)},
}

# Reasons a flag is uncertain (short strings in flags[].uncertain_reasons).
LOW_CONFIDENCE = "low_confidence_text"
UNKNOWN_SPEAKER = "unknown_speaker"
UNSETTLED_SPEAKER = "unsettled_speaker"
FUZZY_LOW_CONFIDENCE = "fuzzy_match_on_low_confidence_text"
UNCLEAR_REPLY = "unclear_reply"


@dataclass(frozen=True)
class EvidenceSettings:
    """Thresholds and word lists of ``evidence.toml`` (defaults live only in the built-in file)."""

    low_confidence: float
    fuzzy_low_confidence: float
    fuzzy_none_confidence: float
    unsettled_low: float
    unsettled_high: float
    steps: Mapping[str, int]
    words: Mapping[str, tuple[str, ...]]


def load_evidence(path: str | Path | None = None) -> EvidenceSettings:
    """The built-in evidence settings with the file at `path` (if any) over them."""
    data = config.load(EVIDENCE_PATH, path, EVIDENCE_SCHEMA, "evidence settings")
    return EvidenceSettings(
        low_confidence=float(data["confidence"]["low"]),
        fuzzy_low_confidence=float(data["confidence"]["fuzzy_low"]),
        fuzzy_none_confidence=float(data["confidence"]["fuzzy_none"]),
        unsettled_low=float(data["speaker"]["unsettled_low"]),
        unsettled_high=float(data["speaker"]["unsettled_high"]),
        steps={k: int(v) for k, v in data["steps"].items()},
        words={k: tuple(v) for k, v in data["words"].items()},
    )


@lru_cache(maxsize=1)
def default_evidence() -> EvidenceSettings:
    """The built-in settings, read once per process."""
    return load_evidence()


def speaker_of(u: Mapping[str, Any]) -> str:
    """The utterance's speaker, normalised (missing or odd values count as unknown)."""
    sp = str(u.get("speaker") or "unknown").strip().lower()
    return sp if sp in PARTIES else "unknown"


def confidence_of(u: Mapping[str, Any]) -> float:
    """The recogniser's confidence in the line's text (missing, as in transcripts: 1.0)."""
    c = u.get("confidence")
    try:
        return 1.0 if c is None else float(c)
    except (TypeError, ValueError):
        return 1.0


def low_confidence(u: Mapping[str, Any], ev: EvidenceSettings | None = None) -> bool:
    """Whether the line's text is too uncertain to rest a flag on."""
    ev = ev or default_evidence()
    return confidence_of(u) < ev.low_confidence


def speaker_unsettled(u: Mapping[str, Any], ev: EvidenceSettings | None = None) -> bool:
    """Speaker ``unknown``, or an agent posterior between the thresholds."""
    ev = ev or default_evidence()
    if speaker_of(u) == "unknown":
        return True
    p = u.get("agent_posterior")
    if p is None:
        return False
    try:
        return ev.unsettled_low < float(p) < ev.unsettled_high
    except (TypeError, ValueError):
        return False


def sound_only_unheard(u: Mapping[str, Any], vias: Iterable[str | None],
                       ev: EvidenceSettings | None = None) -> bool:
    """Whether a match on `u` whose hits came by `vias` is no evidence at all: every hit only
    through sound-alike words (``pinyin``) on a line below ``[confidence] fuzzy_none``."""
    ev = ev or default_evidence()
    vias = list(vias)
    return bool(vias) and all(v == "pinyin" for v in vias) and \
        confidence_of(u) < ev.fuzzy_none_confidence


def may_be_agent(u: Mapping[str, Any], ev: EvidenceSettings | None = None) -> bool:
    """The agent's line, or one whose speaker is unsettled (it may be the agent's)."""
    return speaker_of(u) == "agent" or speaker_unsettled(u, ev)


def uncertain_reasons(lines: Iterable[Mapping[str, Any]], via: str | None = None,
                      ev: EvidenceSettings | None = None) -> list[str]:
    """Why the evidence in `lines` is uncertain (empty: it can be trusted)."""
    ev = ev or default_evidence()
    reasons: list[str] = []
    for u in lines:
        conf = confidence_of(u)
        if conf < ev.low_confidence:
            reasons.append(LOW_CONFIDENCE)
        if via == "pinyin" and conf < ev.fuzzy_low_confidence:
            reasons.append(FUZZY_LOW_CONFIDENCE)
        if speaker_of(u) == "unknown":
            reasons.append(UNKNOWN_SPEAKER)
        elif speaker_unsettled(u, ev):
            reasons.append(UNSETTLED_SPEAKER)
    return list(dict.fromkeys(reasons))


def utterance_flag(category: str, rule_id: str, severity: str, u: Mapping[str, Any],
                   matched: str, via: str | None = None,
                   also: Sequence[Mapping[str, Any]] = (), reasons: Sequence[str] = (),
                   ev: EvidenceSettings | None = None) -> dict[str, Any]:
    """A flag on one utterance in the scorecard's shape, evidence masked, trust judged.

    `also`: further lines the flag rests on (e.g. the reply to a question); `reasons`: extra
    reasons decided by the caller (e.g. an unclear reply).
    """
    why = list(dict.fromkeys([*uncertain_reasons([u, *also], via, ev), *reasons]))
    extra: dict[str, Any] = {"via": via} if via else {}
    extra["uncertain"] = bool(why)
    if why:
        extra["uncertain_reasons"] = why
    return make_flag(category, rule_id, severity, speaker_of(u),
                     float(u.get("start", 0.0) or 0.0), float(u.get("end", 0.0) or 0.0),
                     mask_text(str(u.get("text", ""))), mask_text(matched), **extra)
