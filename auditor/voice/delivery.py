"""Delivery flags: speaking too fast, shouting, dead air, talking over the customer, monotone.

Flags come from the metrics block, the utterances and their measures (one ``Measures`` per
utterance, aligned with them) as returned by ``auditor.voice.metrics.measure``, with thresholds
from ``auditor/config/delivery.toml`` (each default explained there). Only agent speech raises
agent flags: customer and "unknown" speech never do, except ``long_silence``,
which concerns nobody (its speaker is None). ``monotone`` is an informational coaching note
(severity "info"), not a violation.

How each flag is decided:

- ``speech_rate_fast``: the agent's rate pooled over consecutive agent utterances holding at
  least ``min_stretch_s`` of speaking time is above ``max_cpm``; overlapping such windows make
  one stretch and one flag (trimmed of edge utterances that are not fast themselves).
- ``shouting``: an agent utterance ``above_median_db`` or more above the median loudness of the
  agent's utterances (needs ``min_utterances`` of them); one flag per utterance.
- ``long_silence``: each silence between the first and the last utterance longer than ``max_s``.
- ``interruption``: stereo only; the agent started while the customer was speaking and both
  spoke at once for more than ``max_overlap_s``; backchannel-only agent utterances are ignored.
  With audio, "both spoke" needs each channel to carry its own speaker's voice at the time (not
  the other's echo, not one signal copied to both channels: ``auditor.voice.turns``); on mono
  one recogniser pass never shows two voices at once, so nothing there is judged an interruption.
- ``monotone``: the agent's pitch variation below ``max_std_semitones`` with at least
  ``min_speaking_s`` of agent speaking time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from auditor.core import config
from auditor.core.config import Key
from auditor.core.flag import make_flag
from auditor.core.scorecard import Measures
from auditor.core.vocab import SEVERITIES
from auditor.voice import speech_rate, turns

DEFAULT_PATH = config.CONFIG_DIR / "delivery.toml"

# The keys of delivery.toml, their types and ranges; the default values live only in the file.
_SEVERITY = Key(str, choices=SEVERITIES)
SCHEMA = {
    "speech_rate_fast": {"max_cpm": Key(float, low=1), "min_stretch_s": Key(float, low=0.1),
                         "severity": _SEVERITY},
    "shouting": {"above_median_db": Key(float, low=0), "min_utterances": Key(int, low=1),
                 "min_utterance_s": Key(float, low=0), "severity": _SEVERITY},
    "long_silence": {"max_s": Key(float, low=0), "severity": _SEVERITY},
    "interruption": {"max_overlap_s": Key(float, low=0), "backchannels": Key(list),
                     "severity": _SEVERITY},
    "monotone": {"max_std_semitones": Key(float, low=0), "min_speaking_s": Key(float, low=0),
                 "severity": _SEVERITY},
}

# Sentence particles that may trail a backchannel (好的呀, 是吧, 知道了).
_PARTICLES = ("了", "的", "呢", "吧", "呀", "啊", "哈", "嘛", "哦")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_EVIDENCE_CHARS = 120


def load_thresholds(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The packaged delivery.toml, with the TOML file at `path` (if given) over it key by key.

    Raises `ConfigError` naming the file and line of a problem.
    """
    return config.load(DEFAULT_PATH, path, SCHEMA, "delivery thresholds")


def is_backchannel(text: str, tokens: Sequence[str]) -> bool:
    """True if the text is only listening signals (嗯, 对对对, 好的呀), nothing with content."""
    rest = _NON_WORD.sub("", text or "")
    if not rest:
        return True
    vocab = sorted(set(tokens) | set(_PARTICLES), key=len, reverse=True)
    while rest:
        for tok in vocab:
            if tok and rest.startswith(tok):
                rest = rest[len(tok):]
                break
        else:
            return False
    return True


def _evidence(texts: Sequence[str]) -> str:
    text = " ".join(t.strip() for t in texts if t and t.strip())
    return text if len(text) <= _EVIDENCE_CHARS else text[: _EVIDENCE_CHARS - 1] + "…"


def _flag(category: str, severity: str, speaker: str | None, start: float, end: float,
          evidence: str, matched: str, **extra: Any) -> dict[str, Any]:
    """A delivery flag (rule ``delivery.<category>``), its times rounded to the millisecond."""
    return make_flag(category, f"delivery.{category}", severity, speaker,
                     round(float(start), 3), round(float(end), 3), evidence, matched, **extra)


# One utterance and its measures (None: measured without audio, from the text and span only).
_Row = tuple[Mapping[str, Any], Measures | None]


def _rows(utterances: Sequence[Mapping[str, Any]],
          measures: Sequence[Measures] | None) -> list[_Row]:
    if measures is None:
        return [(u, None) for u in utterances]
    return list(zip(utterances, measures, strict=True))


def _speaking_s(row: _Row) -> float:
    u, m = row
    return float(m.speaking_s) if m is not None else float(u["end"]) - float(u["start"])


def _rate(row: _Row) -> float | None:
    u, m = row
    if m is not None:
        return m.rate_cpm
    return speech_rate.rate_cpm(speech_rate.spoken_units(str(u.get("text", ""))),
                                _speaking_s(row))


def _loudness(row: _Row) -> float | None:
    return row[1].loudness_dbfs if row[1] is not None else None


def _fast_windows(rows: Sequence[_Row], limit: float, min_s: float) -> list[tuple[int, int, float]]:
    """(first, last, pooled rate) of every window of consecutive rows that starts at a row and
    runs until it holds ``min_s`` of speaking time, whose pooled rate is above ``limit``."""
    out = []
    for i in range(len(rows)):
        seconds = units = 0.0
        for j in range(i, len(rows)):
            s = _speaking_s(rows[j])
            seconds += s
            units += (_rate(rows[j]) or 0.0) * s / 60.0
            if seconds >= min_s:
                if units / seconds * 60.0 > limit:
                    out.append((i, j, units / seconds * 60.0))
                break
    return out


def speech_rate_flags(utterances: Sequence[Mapping[str, Any]], cfg: Mapping[str, Any],
                      measures: Sequence[Measures] | None = None) -> list[dict[str, Any]]:
    """``speech_rate_fast`` flags: stretches of fast agent speech (see the module docstring).

    The rate is pooled (all syllables over all speaking time) over windows of consecutive agent
    utterances holding at least ``min_stretch_s`` of speaking time: a rate over one or two
    seconds of speech moves by a tenth with one syllable more or less, so a short line alone
    never decides. Overlapping fast windows make one stretch, trimmed of edge utterances that
    are not fast themselves; its flag carries the highest window's rate.
    """
    limit = float(cfg["max_cpm"])
    rows = [r for r in _rows(utterances, measures) if r[0].get("speaker") == "agent"
            and _rate(r) is not None and _speaking_s(r) > 0]
    windows = _fast_windows(rows, limit, float(cfg["min_stretch_s"]))
    stretches: list[list[Any]] = []  # [first, last, highest rate]
    for i, j, rate in windows:
        if stretches and i <= stretches[-1][1] + 1:
            stretches[-1][1] = max(stretches[-1][1], j)
            stretches[-1][2] = max(stretches[-1][2], rate)
        else:
            stretches.append([i, j, rate])
    flags: list[dict[str, Any]] = []
    for i, j, rate in stretches:
        while i < j and (_rate(rows[i]) or 0.0) <= limit:
            i += 1
        while j > i and (_rate(rows[j]) or 0.0) <= limit:
            j -= 1
        run = rows[i : j + 1]
        seconds = sum(_speaking_s(r) for r in run)
        pooled = sum((_rate(r) or 0.0) * _speaking_s(r) for r in run) / seconds
        flags.append(_flag(
            "speech_rate_fast", str(cfg["severity"]), "agent", float(run[0][0]["start"]),
            float(run[-1][0]["end"]), _evidence([str(u.get("text", "")) for u, _ in run]),
            f"{rate:.0f} cpm > {limit:.0f} over {float(cfg['min_stretch_s']):.0f} s of speech",
            value=round(rate, 1), limit=limit, utterances=len(run),
            stretch_rate_cpm=round(pooled, 1), speaking_s=round(seconds, 2)))
    return flags


def shouting_flags(utterances: Sequence[Mapping[str, Any]], cfg: Mapping[str, Any],
                   measures: Sequence[Measures] | None = None) -> list[dict[str, Any]]:
    """``shouting`` flags: agent utterances far above the agent's own median loudness.

    A line whose speaker attribution left `unknown` but leans to the agent (``agent_posterior``
    of 0.5 or more, or none given) is judged against the agent's level too, and its flag says it
    is uncertain: shouting changes the very features that tell the voices apart, so a shouted
    agent line is the one most likely to be left without a speaker.
    """
    heard = [(u, loud) for u, m in _rows(utterances, measures)
             if (loud := _loudness((u, m))) is not None
             and _speaking_s((u, m)) >= float(cfg["min_utterance_s"])]
    agent = [(u, loud) for u, loud in heard if u.get("speaker") == "agent"]
    if len(agent) < int(cfg["min_utterances"]):
        return []
    levels = sorted(float(loud) for _, loud in agent)
    mid = len(levels) // 2
    median = levels[mid] if len(levels) % 2 else (levels[mid - 1] + levels[mid]) / 2
    limit = float(cfg["above_median_db"])
    leaning = [(u, loud) for u, loud in heard if u.get("speaker") == "unknown"
               and float(u.get("agent_posterior", 1.0) or 0.0) >= 0.5]
    flags = []
    for u, loud in sorted(agent + leaning, key=lambda x: float(x[0]["start"])):
        above = float(loud) - median
        if above >= limit:
            extra: dict[str, Any] = {}
            if u.get("speaker") != "agent":
                extra = {"uncertain": True, "uncertain_reasons": ["speaker unsettled"]}
            flags.append(_flag(
                "shouting", str(cfg["severity"]), "agent", float(u["start"]), float(u["end"]),
                _evidence([str(u.get("text", ""))]),
                f"+{above:.1f} dB over the agent's median {median:.1f} dBFS",
                value=round(above, 1), limit=limit, loudness_dbfs=loud, **extra))
    return flags


def long_silence_flags(metrics: Mapping[str, Any], utterances: Sequence[Mapping[str, Any]],
                       cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``long_silence`` flags: dead air between the first and last utterance."""
    silences = metrics.get("silences")
    if silences is None:  # metrics made without audio: use the utterance gaps
        silences = [{"start": a, "end": b, "s": b - a} for a, b in turns.gaps(utterances)]
    limit = float(cfg["max_s"])
    flags = []
    for s in silences:
        if float(s["s"]) > limit:
            before = [u for u in utterances if float(u["end"]) <= float(s["start"]) + 1e-6]
            last = str(before[-1].get("text", "")) if before else ""
            flags.append(_flag(
                "long_silence", str(cfg["severity"]), None, float(s["start"]), float(s["end"]),
                f"{float(s['s']):.1f} s with nobody speaking" + (f" after: {last}" if last else ""),
                f"{float(s['s']):.1f} s > {limit:.0f} s", value=round(float(s["s"]), 1),
                limit=limit))
    return flags


def interruption_flags(metrics: Mapping[str, Any], utterances: Sequence[Mapping[str, Any]],
                       layout: str, cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``interruption`` flags: the agent talking over the customer (stereo calls only)."""
    if layout != "stereo":
        return []
    if "overlaps" in metrics:  # measured from the audio: None when no overlap can be told
        events = metrics["overlaps"] or []
    else:  # a transcript without audio: the channels' own utterance times
        events = turns.overlap_events(utterances)
    limit = float(cfg["max_overlap_s"])
    tokens = list(cfg.get("backchannels", []))
    flags = []
    for e in events:
        if e["started_by"] != "agent" or float(e["s"]) <= limit:
            continue
        agent_u = utterances[int(e["agent_utterance"])]
        cust_u = utterances[int(e["customer_utterance"])]
        if is_backchannel(str(agent_u.get("text", "")), tokens):
            continue
        flags.append(_flag(
            "interruption", str(cfg["severity"]), "agent", float(e["start"]), float(e["end"]),
            _evidence([str(agent_u.get("text", ""))]),
            f"{float(e['s']):.1f} s over the customer > {limit:.1f} s",
            value=round(float(e["s"]), 1), limit=limit,
            customer_text=str(cust_u.get("text", ""))))
    return flags


def monotone_flags(metrics: Mapping[str, Any], utterances: Sequence[Mapping[str, Any]],
                   cfg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``monotone`` coaching note: flat agent pitch over enough speech to judge."""
    agent = metrics.get("agent") or {}
    std = agent.get("pitch_std_semitones")
    speaking = float(agent.get("speaking_s") or 0.0)
    limit = float(cfg["max_std_semitones"])
    if std is None or speaking < float(cfg["min_speaking_s"]) or float(std) >= limit:
        return []
    spoken = [u for u in utterances if u.get("speaker") == "agent"]
    return [_flag(
        "monotone", str(cfg["severity"]), "agent", float(spoken[0]["start"]),
        float(spoken[-1]["end"]),
        f"pitch varies by {float(std):.2f} semitones around {agent.get('pitch_median_hz')} Hz",
        f"{float(std):.2f} st < {limit:.1f} st", value=float(std), limit=limit)]


def delivery_flags(
    metrics: Mapping[str, Any],
    utterances: Sequence[Mapping[str, Any]],
    layout: str,
    thresholds: Mapping[str, Mapping[str, Any]] | None = None,
    measures: Sequence[Measures] | None = None,
) -> list[dict[str, Any]]:
    """All delivery flags for one call, sorted by start time.

    ``measures`` are the utterances' measures from ``metrics.measure`` (aligned with
    ``utterances``); without them (no audio) rates come from the text and spans, and nothing
    can be said about loudness.
    """
    cfg = thresholds if thresholds is not None else load_thresholds()
    flags = (
        speech_rate_flags(utterances, cfg["speech_rate_fast"], measures)
        + shouting_flags(utterances, cfg["shouting"], measures)
        + long_silence_flags(metrics, utterances, cfg["long_silence"])
        + interruption_flags(metrics, utterances, layout, cfg["interruption"])
        + monotone_flags(metrics, utterances, cfg["monotone"])
    )
    return sorted(flags, key=lambda f: (f["start"], f["category"]))
