"""Everything after the transcript: who spoke, how they sounded, which rules they broke.

`Analyser` loads the rule packs, thresholds and scoring scheme once; `analyse(utterances, audio,
layout)` returns an `Analysis` -- the utterances (attributed, on mono), their measures, the
call's metrics, steps and flags, the outcome (what the call achieved, ``auditor.outcome``) and
the attribution confidence -- and changes nothing it is given. The pipeline builds the
scorecard from it and scores it (`core.scorecard`, `score.scoring`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from auditor.audio.decode import Audio
from auditor.core.config import CONFIG_DIR
from auditor.core.scorecard import Measures, Utterance, utterances_with
from auditor.speakers.features import VoiceFrames

HEARING_CONFIG = ("asr.toml", "roles.toml")
"""The configuration of hearing the call (decoding, who spoke), which a rescore keeps from the
stored transcript: outside `rules_version`. Every other file of auditor/config is inside it."""


def judging_files() -> list[Path]:
    """The data files besides the rule packs that shape a scorecard from its transcript: every
    auditor/config/*.toml but the hearing ones (evidence, delivery, scoring, outcome...) and the
    tokeniser's user dictionary (it decides which words the rules see)."""
    from auditor.compliance.tokens import USERDICT

    files = [p for p in CONFIG_DIR.glob("*.toml") if p.name not in HEARING_CONFIG]
    return sorted(files) + [USERDICT]


def rules_version(rules: Any) -> str:
    """The version stamped on every scorecard (``rules_version``), by which `auditor run` skips
    calls already audited and `auditor rescore` calls already judged: a digest of the rule
    packs (``rules.version``) and of every file of :func:`judging_files`, so a changed
    threshold, score weight or outcome cue re-scores as a changed pack does. The one place
    the version is made (the pipeline and the rescore both take it from here).
    """
    import hashlib

    digest = hashlib.sha256(str(rules.version).encode() + b"\0")
    for path in judging_files():
        data = path.read_bytes() if path.is_file() else b""
        digest.update(path.name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Analysis:
    """What the analysis of one call found, ready to build its scorecard from."""

    utterances: list[dict[str, Any]]
    measures: list[Measures] | None = None  # aligned with `utterances`; None without audio
    metrics: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, bool] = field(default_factory=dict)
    flags: list[dict[str, Any]] = field(default_factory=list)
    attribution_confidence: float | None = None
    outcome: dict[str, Any] | None = None

    def card_utterances(self) -> list[Utterance]:
        """The scorecard's utterances: each line with its measures."""
        return utterances_with(self.utterances, self.measures)


class Analyser:
    """The text-and-array half of the pipeline, with its configuration loaded once."""

    def __init__(self, rules_dirs: Sequence[str | Path] = ()) -> None:
        from auditor.compliance.rules import load_rules
        from auditor.score.scoring import load_config
        from auditor.voice.delivery import load_thresholds

        self.rules = load_rules(extra_dirs=[Path(d) for d in rules_dirs])
        self.thresholds = load_thresholds(None)
        self.scoring = load_config()
        self.rules_version = rules_version(self.rules)
        from auditor.outcome import load_config as load_outcome_config

        self.outcome_config = load_outcome_config()

    def analyse(self, utterances: Sequence[Mapping[str, Any]], audio: Audio | None,
                layout: str | None = None, attribute_mono: bool = True,
                frames: VoiceFrames | None = None,
                call_start: datetime | date | str | None = None) -> Analysis:
        """Attribute (mono), measure, and apply the delivery, rule and step checks.

        Mono utterances are attributed to agent or customer first, unless `attribute_mono` is
        false (a transcript whose speakers are already known), from the call's voice `frames`
        (speakers.features.voice_frames; the pipeline passes those it split the speech with,
        computed here only when not given). Without audio there are no measures, metrics or
        delivery flags. The outcome's relative dates resolve against `call_start` (None: `due`
        stays null, `due_text` keeps the words); the agent's handling of an upset customer is
        an informational flag.
        """
        from auditor.compliance.audit import audit_utterances
        from auditor.voice.delivery import delivery_flags
        from auditor.voice.metrics import measure

        utterances = [dict(u) for u in utterances]
        layout = layout or "mono"
        confidence = None
        if attribute_mono and audio is not None and audio.channels == 1 and utterances:
            from auditor.speakers.attribution import attribute
            from auditor.speakers.encoder import utterance_embeddings
            from auditor.speakers.features import voice_frames

            if frames is None:
                frames = voice_frames(audio.samples[0], audio.sample_rate)
            embeddings = utterance_embeddings(audio.samples[0], audio.sample_rate, utterances)
            utterances, confidence = attribute(frames, utterances, embeddings=embeddings)
            confidence = round(float(confidence), 3)
        flags: list[dict[str, Any]] = []
        metrics: dict[str, Any] = {}
        measures = None
        if audio is not None:
            metrics, measures = measure(audio.samples, audio.sample_rate, utterances, layout)
            flags.extend(delivery_flags(metrics, utterances, layout, self.thresholds, measures))
        rule_flags, steps = audit_utterances(utterances, self.rules, measures=measures)
        flags.extend(rule_flags)
        outcome, handling = outcome_of(utterances, measures, call_start, self.outcome_config)
        flags.extend(handling)
        flags.sort(key=lambda f: (f.get("start") or 0.0, f["category"]))
        return Analysis(utterances=utterances, measures=measures, metrics=metrics, steps=steps,
                        flags=flags, attribution_confidence=confidence, outcome=outcome)


def outcome_of(utterances: Sequence[Mapping[str, Any]], measures: Sequence[Measures] | None,
               call_start: datetime | date | str | None = None,
               config: dict[str, Any] | None = None
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The call's `outcome` block and its agent-handling coaching flag (a list, maybe empty).

    The voice measures (aligned with `utterances`) let a raised or shouting customer count as
    upset or hostile, and the agent's level and rate show whether they answered in kind.
    """
    from auditor.outcome import extract_outcome, handling_flags

    voice = None
    if measures is not None:
        voice = {"utterances": [m.to_dict() if m is not None else {} for m in measures]}
    outcome = extract_outcome(utterances, call_start, voice, config)
    return outcome, handling_flags(utterances, outcome, voice, config)
