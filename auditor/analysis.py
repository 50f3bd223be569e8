"""Everything after the transcript: who spoke, how they sounded, which rules they broke, score.

`Analyser` loads the rule packs, thresholds and scoring scheme once; `analyse(card, audio)`
fills a scorecard's `metrics`, `steps`, `flags`, `score` and `passed` from its utterances (and
the decoded audio, when there is audio: a transcript-only audit has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from auditor.audio.decode import Audio
from auditor.speakers.features import VoiceFrames


class Analyser:
    """The text-and-array half of the pipeline, with its configuration loaded once."""

    def __init__(self, rules_dirs: Sequence[str | Path] = ()) -> None:
        from auditor.compliance.rules import load_rules
        from auditor.score.scoring import load_config
        from auditor.voice.delivery import load_thresholds

        self.rules = load_rules(extra_dirs=[Path(d) for d in rules_dirs])
        self.thresholds = load_thresholds(None)
        self.scoring = load_config()
        self.rules_version = self.rules.version

    def analyse(self, card: dict[str, Any], audio: Audio | None,
                attribute_mono: bool = True,
                frames: VoiceFrames | None = None) -> dict[str, Any]:
        """Fill metrics, steps, flags, score and passed of `card` in place, and return it.

        Mono utterances are attributed to agent or customer first, unless `attribute_mono` is
        false (a transcript whose speakers are already known), from the call's voice `frames`
        (speakers.features.voice_frames; the pipeline passes those it split the speech with,
        computed here only when not given).
        """
        from auditor.compliance.rules import audit_utterances
        from auditor.score.scoring import score_card
        from auditor.voice.delivery import delivery_flags
        from auditor.voice.metrics import measure

        utterances = card["utterances"]
        layout = card.get("layout") or "mono"
        if attribute_mono and audio is not None and audio.channels == 1 and utterances:
            from auditor.speakers.attribution import attribute
            from auditor.speakers.features import voice_frames

            if frames is None:
                frames = voice_frames(audio.samples[0], audio.sample_rate)
            utterances, confidence = attribute(frames, utterances)
            card["utterances"] = utterances
            card["attribution_confidence"] = round(float(confidence), 3)
        flags: list[dict[str, Any]] = []
        if audio is not None:
            card["metrics"] = measure(audio.samples, audio.sample_rate, utterances, layout)
            flags.extend(delivery_flags(card["metrics"], utterances, layout, self.thresholds))
        rule_flags, steps = audit_utterances(utterances, self.rules)
        flags.extend(rule_flags)
        flags.sort(key=lambda f: (f.get("start") or 0.0, f["category"]))
        card["steps"] = steps
        card["flags"] = flags
        card["rules_version"] = self.rules_version
        score_card(card, self.scoring)
        return card
