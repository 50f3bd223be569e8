"""The scorecard: the one JSON shape every report on a call uses (../shared/spec/scorecard.md).

`Scorecard` and `Utterance` (with its `Measures`) are the typed owners of that shape; each has one
`to_dict()` giving the scorecard's JSON, keys in the order every card has always had. A flag is a
`core.flag.Flag` (built by `make_flag`). Fields may be added, never renamed or removed. A failed
call keeps the same shape with empty lists and the reason in `error`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

# Metadata marking a Scorecard field that is part of the spec's fixed top-level shape.
_SPEC = {"spec": True}


@dataclass(frozen=True)
class Measures:
    """How one utterance sounded (voice.metrics.measure): speaking time, rate, loudness, pitch."""

    speaking_s: float
    rate_cpm: float | None
    loudness_dbfs: float | None
    pitch_hz: float | None
    syllables_text: int | None = None  # syllables the transcript holds
    syllables_audio: int | None = None  # syllable nuclei counted in the signal
    rate_source: str | None = None  # which of the two the rate uses: "text" or "audio"

    def to_dict(self) -> dict[str, Any]:
        """The measures as the utterance's JSON fields."""
        names = [f.name for f in fields(self)]
        if self.rate_source is None:  # measured without the syllable cross-check
            names = names[:4]
        return {name: getattr(self, name) for name in names}


@dataclass(frozen=True)
class Utterance:
    """One line of the call: who, when, what was heard, and (with audio) how it sounded."""

    speaker: str
    start: float
    end: float
    text: str
    channel: int = 0
    asr_repairs: tuple[str, ...] = ()
    measures: Measures | None = None
    agent_posterior: float | None = None  # P(agent) of the attribution (stereo: 1.0 / 0.0)
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The utterance as the scorecard's JSON object (repairs and measures only when known)."""
        out: dict[str, Any] = {
            "speaker": self.speaker,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "channel": self.channel,
        }
        if self.confidence is not None:
            out["confidence"] = self.confidence
        if self.asr_repairs:
            out["asr_repairs"] = list(self.asr_repairs)
        if self.agent_posterior is not None:
            out["agent_posterior"] = self.agent_posterior
        if self.measures is not None:
            out.update(self.measures.to_dict())
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], measures: Measures | None = None) -> Utterance:
        """An utterance from the dict the stages pass around, with its measures if any."""
        return cls(
            speaker=d["speaker"],
            start=d["start"],
            end=d["end"],
            text=d["text"],
            channel=d.get("channel", 0),
            asr_repairs=tuple(d.get("asr_repairs") or ()),
            measures=measures,
            agent_posterior=d.get("agent_posterior"),
            confidence=d.get("confidence"),
        )


@dataclass(frozen=True)
class AsrInfo:
    """Which recogniser heard the call and how much of it was speech."""

    model: str
    language: str
    speech_s: float
    coverage: float

    def to_dict(self) -> dict[str, Any]:
        """The scorecard's ``asr`` object."""
        return {"model": self.model, "language": self.language, "speech_s": self.speech_s,
                "coverage": self.coverage}


@dataclass
class Scorecard:
    """One call's scorecard. The spec's fields come first, in the spec's order; the fields after
    them (`sample_rate` ... `subscores`) are today's additions, written only when known, and
    `extra` holds any further keys a later stage adds."""

    call_id: str | None = field(metadata=_SPEC)
    file: str = field(metadata=_SPEC)
    status: str = field(default="ok", metadata=_SPEC)
    error: str | None = field(default=None, metadata=_SPEC)
    duration_s: float | None = field(default=None, metadata=_SPEC)
    channels: int | None = field(default=None, metadata=_SPEC)
    layout: str | None = field(default=None, metadata=_SPEC)
    asr: AsrInfo | dict[str, Any] | None = field(default=None, metadata=_SPEC)
    utterances: list[Utterance] = field(default_factory=list, metadata=_SPEC)
    metrics: dict[str, Any] = field(default_factory=dict, metadata=_SPEC)
    steps: dict[str, bool] = field(default_factory=dict, metadata=_SPEC)
    flags: list[dict[str, Any]] = field(default_factory=list, metadata=_SPEC)
    outcome: dict[str, Any] | None = field(default=None, metadata=_SPEC)  # auditor.outcome
    score: int | None = field(default=None, metadata=_SPEC)
    passed: bool | None = field(default=None, metadata=_SPEC)
    sample_rate: int | None = None
    attribution_confidence: float | None = None
    rules_version: str | None = None
    subscores: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The scorecard's JSON object: spec fields, then the additions that are known."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if not f.metadata.get("spec") and value is None:
                continue
            if isinstance(value, AsrInfo):
                value = value.to_dict()
            elif f.name == "utterances":
                value = [u.to_dict() if isinstance(u, Utterance) else dict(u) for u in value]
            elif f.name in ("metrics", "steps"):
                value = dict(value)
            elif f.name == "flags":
                value = list(value)
            out[f.name] = value
        out.update(self.extra)
        return out


#: The scorecard's fixed top-level field names, in the spec's order (from `Scorecard`).
SPEC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Scorecard) if f.metadata.get("spec"))
_FIELD_NAMES = frozenset(f.name for f in fields(Scorecard)) - {"extra"}


def new_scorecard(file: str, call_id: str | None = None) -> dict[str, Any]:
    """An empty scorecard for `file` with every spec field present."""
    return Scorecard(call_id=call_id, file=file).to_dict()


def failed_scorecard(file: str, error: str, call_id: str | None = None,
                     **known: Any) -> dict[str, Any]:
    """A scorecard for a call that could not be audited; `error` is one actionable sentence.

    `known` holds what was learnt before it failed (duration_s, channels, layout, sample_rate).
    It has no score and has not passed (a call nobody could check is not a passed call).
    """
    typed = {k: v for k, v in known.items() if k in _FIELD_NAMES}
    extra = {k: v for k, v in known.items() if k not in _FIELD_NAMES}
    typed.update(status="failed", error=error, utterances=[], flags=[], metrics={}, steps={},
                 score=None, passed=False)
    return Scorecard(call_id=call_id, file=file, extra=extra, **typed).to_dict()


def utterances_with(utterances: Sequence[Mapping[str, Any]],
                    measures: Sequence[Measures] | None = None) -> list[Utterance]:
    """Typed utterances from the stages' dicts, each with its measures (aligned) when given."""
    if measures is None:
        return [Utterance.from_dict(u) for u in utterances]
    return [Utterance.from_dict(u, m) for u, m in zip(utterances, measures, strict=True)]


def short_id(call_id: str | None) -> str:
    """The first 16 hex digits of a call id, enough for display."""
    return (call_id or "")[:16]
