"""The human view of a scorecard: what `auditor check` and `auditor show` print."""

from __future__ import annotations

from typing import Any

from auditor.core.timefmt import clock


def low_confidence_threshold() -> float:
    """Below this `utterances[].confidence` a line is marked (asr.toml [confidence] low)."""
    from auditor.asr.settings import load_asr_settings

    return load_asr_settings().confidence.low


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
    low = low_confidence_threshold()
    marked = False
    for u in card["utterances"]:
        conf = u.get("confidence")
        mark = "?" if conf is not None and conf < low else " "
        marked = marked or mark == "?"
        shown = f" ({conf:.2f})" if mark == "?" else ""
        lines.append(f"[{clock(u['start'])}-{clock(u['end'])}]{mark}"
                     f"{u['speaker']:<8} {u['text']}{shown}")
    if marked:
        lines.append(f"  (? = recogniser confidence below {low:.2f}: listen before trusting)")
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
        lines.append(f"Flags ({len(card['flags'])}):")
        for f in card["flags"]:
            lines.append(
                f"  {clock(f.get('start'))} {f['severity']:<8} {f['category']:<30} "
                f"{f.get('speaker') or '':<8} {f.get('matched') or ''} | {f.get('evidence') or ''}"
            )
    else:
        lines.append("Flags: none")
    if card.get("score") is not None:
        lines.append(f"Score: {card['score']}  {'PASSED' if card.get('passed') else 'FAILED'}")
    return "\n".join(lines)
