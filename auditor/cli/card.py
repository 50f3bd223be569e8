"""The human view of a scorecard: what `auditor check` and `auditor show` print."""

from __future__ import annotations

from typing import Any

from auditor.compliance.evidence import (
    EvidenceSettings,
    confidence_of,
    default_evidence,
    low_confidence,
    speaker_unsettled,
)
from auditor.core.timefmt import clock

UNSURE = "?"
"""The mark of a low-confidence line and of an uncertain flag, in every text view."""


def line_marks(u: dict[str, Any], ev: EvidenceSettings | None = None) -> str:
    """What to trust about one line: its confidence when low, P(agent) when attributed (mono).

    Empty for a confident line of a settled speaker without a posterior (stereo, transcripts).
    The thresholds are those the rules use (``auditor/config/evidence.toml``), so a line marked
    here is exactly one a flag cannot rest on without being uncertain.
    """
    ev = ev or default_evidence()
    parts = []
    if u.get("confidence") is not None and low_confidence(u, ev):
        parts.append(f"{UNSURE} confidence {confidence_of(u):.2f}")
    posterior = u.get("agent_posterior")
    if posterior is not None:
        try:
            parts.append(f"P(agent) {float(posterior):.2f}")
        except (TypeError, ValueError):
            pass
    if speaker_unsettled(u, ev) and u.get("speaker") != "unknown":
        parts.append("speaker unsettled")
    return " · ".join(parts)


def flag_line(f: dict[str, Any]) -> str:
    """One flag as a card line; an uncertain one starts with the mark and says why."""
    unsure = bool(f.get("uncertain"))
    why = ", ".join(f.get("uncertain_reasons") or [])
    tail = f"  [uncertain{': ' + why if why else ''}]" if unsure else ""
    return (
        f"{UNSURE if unsure else ' '} {clock(f.get('start'))} {f['severity']:<8} "
        f"{f['category']:<30} {f.get('speaker') or '':<8} {f.get('matched') or ''} | "
        f"{f.get('evidence') or ''}{tail}"
    )


def render_card(card: dict[str, Any]) -> str:
    """A scorecard as a person reads it: header, transcript, metrics, steps, flags."""
    lines = []
    asr = card.get("asr") or {}
    head = [card["file"]]
    if card.get("layout"):
        head.append(f"{card['layout']}")
    if card.get("sample_rate"):
        head.append(f"{card['sample_rate'] / 1000:g} kHz")
    if card.get("duration_s") is not None:
        head.append(f"{card['duration_s']:.1f} s")
    if asr:
        head.append(f"speech {asr['speech_s']:.1f} s, coverage {asr['coverage']:.2f}, "
                    f"{asr['model']}")
    if card.get("attribution_confidence") is not None:
        head.append(f"attribution confidence {card['attribution_confidence']:.2f}")
    lines.append("  ".join(head))
    lines.append("")
    ev = default_evidence()
    marked = 0
    for u in card["utterances"]:
        marks = line_marks(u, ev)
        marked += UNSURE in marks
        lines.append(f"[{clock(u['start'])}-{clock(u['end'])}] "
                     f"{u['speaker']:<8} {u['text']}" + (f"   ({marks})" if marks else ""))
    if marked:
        lines.append(f"  ({marked} line{'s' if marked != 1 else ''} below confidence "
                     f"{ev.low_confidence:.2f}, marked {UNSURE}: the text may be misheard)")
    metrics = card.get("metrics") or {}
    people = [s for s in ("agent", "customer", "unknown") if isinstance(metrics.get(s), dict)]
    if people:
        lines.append("")
        lines.append("Voice:")
        for who in people:
            m = metrics[who]
            parts = []
            for key, label, fmt in (("speech_rate_cpm", "rate", "{:.0f}/min"),
                                    ("pitch_median_hz", "pitch", "{:.0f} Hz"),
                                    ("pitch_std_semitones", "variation", "{:.1f} st"),
                                    ("loudness_dbfs", "loudness", "{:.1f} dBFS"),
                                    ("talk_s", "talk", "{:.1f} s")):
                if m.get(key) is not None:
                    parts.append(f"{label} {fmt.format(m[key])}")
            lines.append(f"  {who:<8} " + ", ".join(parts))
        call_parts = []
        for key, label in (("longest_silence_s", "longest silence"),
                           ("overlap_count", "overlaps"), ("talk_ratio", "talk ratio")):
            if metrics.get(key) is not None:
                value = metrics[key]
                call_parts.append(f"{label} {value:.2f}" if isinstance(value, float)
                                  else f"{label} {value}")
        if call_parts:
            lines.append("  call     " + ", ".join(call_parts))
    if card.get("steps"):
        done = [k for k, v in card["steps"].items() if v]
        missing = [k for k, v in card["steps"].items() if not v]
        lines.append("")
        lines.append("Steps: " + (", ".join(done) or "none")
                     + (f"  (missing: {', '.join(missing)})" if missing else ""))
    lines.append("")
    if card.get("flags"):
        flags = card["flags"]
        unsure = sum(bool(f.get("uncertain")) for f in flags)
        lines.append(f"Flags ({len(flags)}" + (f", {unsure} uncertain: listen before believing"
                                               if unsure else "") + "):")
        lines.extend(" " + flag_line(f) for f in flags)
    else:
        lines.append("Flags: none")
    if card.get("score") is not None:
        lines.append(f"Score: {card['score']}  {'PASSED' if card.get('passed') else 'FAILED'}")
    return "\n".join(lines)
