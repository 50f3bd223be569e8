"""Turn-taking: talk time, silences between turns, and overlapping speech.

Everything is computed from utterance times first. Where audio is at hand, a per-channel speech
activity mask (10 ms frames) refines two things that ASR timestamps get wrong: a segment often
runs on into the silence after the words, which would invent overlaps, and the ASR can drop a
stretch of speech, which would invent dead air. So an overlap lasts only while both channels
carry speech, and a silence only while no channel does.

Conventions:

- ``talk_s``: union of a speaker's utterance spans.
- Silences are the gaps in everyone's speech between the first utterance's start and the last
  utterance's end: the ring before and the hang-up after a call are not dead air.
- ``silence_share``: silent time over that connected span (first start to last end).
- Overlaps (stereo only, one channel per speaker) shorter than ``OVERLAP_MIN_S`` are ordinary
  turn-taking and not counted; ``started_by`` says who began talking while the other spoke.
  With audio an overlap lasts only while each channel carries its own speaker's voice (not the
  other party's echo, ``own_voice_masks``), and a call whose two channels are one signal has no
  overlaps to tell (None, as on mono).
- ``talk_ratio``: agent talk time over customer talk time (None without customer speech).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Interval = tuple[float, float]

#: Overlaps shorter than this are turn-taking jitter, not talking over someone.
OVERLAP_MIN_S = 0.2
#: Silences shorter than this are not listed (they still count in ``silence_share``).
SILENCE_LIST_MIN_S = 1.0
#: Same-speaker utterances closer than this form one stretch when looking for overlaps.
JOIN_GAP_S = 0.3
#: Activity mask: frames this far below the channel's typical speech level are not speech.
ACTIVITY_RANGE_DB = 20.0
#: Activity mask: gaps shorter than this inside speech are closed (between syllables).
ACTIVITY_CLOSE_S = 0.25
#: Activity mask: bursts shorter than this are dropped (clicks).
ACTIVITY_MIN_RUN_S = 0.1
#: Overlap evidence: a channel carries its own speaker's voice at a moment only if it is no more
#: than this far below the other channel. Line echo and codec crosstalk are a copy of the other
#: party some 14 dB or more down on the same call; two people talking at once on a recorded line
#: (levels evened out by the network's gain control) are within a few dB of each other.
OWN_VOICE_DB = 10.0
#: Levels are compared over this window (seconds): syllable by syllable a voice swings by more
#: than the margin above, over a fifth of a second it holds its level.
OWN_VOICE_SMOOTH_S = 0.2
#: Two channels this correlated carry one signal (dual mono, or a codec that folded the stereo
#: image to one channel): nothing on them can show two voices at once.
SAME_SIGNAL_CORR = 0.95


def merge_intervals(intervals: Sequence[Interval], join_gap: float = 0.0) -> list[Interval]:
    """Union of intervals, joining those separated by at most ``join_gap`` seconds."""
    out: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals if e > s):
        if out and start <= out[-1][1] + join_gap:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def total(intervals: Sequence[Interval]) -> float:
    """Summed length of (already disjoint) intervals."""
    return float(sum(e - s for s, e in intervals))


def spans(utterances: Sequence[Mapping[str, Any]], speaker: str | None = None) -> list[Interval]:
    """Utterance (start, end) spans, of one speaker or of everyone."""
    return [
        (float(u["start"]), float(u["end"]))
        for u in utterances
        if speaker is None or u.get("speaker") == speaker
    ]


def talk_time(utterances: Sequence[Mapping[str, Any]], speaker: str) -> float:
    """Seconds during which ``speaker`` has an utterance running."""
    return total(merge_intervals(spans(utterances, speaker)))


def gaps(utterances: Sequence[Mapping[str, Any]]) -> list[Interval]:
    """Stretches between the first and the last utterance during which nobody has an utterance."""
    merged = merge_intervals(spans(utterances))
    return [(a[1], b[0]) for a, b in zip(merged, merged[1:], strict=False)]


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the True runs of a boolean array."""
    padded = np.concatenate(([False], mask.astype(bool), [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges[0::2], edges[1::2]


def activity_mask(power_db: np.ndarray, ref_db: float | None, hop_s: float,
                  floor_db: float = -65.0) -> np.ndarray:
    """Per-frame speech activity of one channel, given its typical speech level ``ref_db``.

    Without a reference (nobody spoke on the channel) the channel is never active.
    """
    if ref_db is None or power_db.size == 0:
        return np.zeros(power_db.size, dtype=bool)
    mask = power_db >= max(ref_db - ACTIVITY_RANGE_DB, floor_db)
    starts, ends = _runs(~mask)
    for s, e in zip(starts, ends, strict=True):  # close short gaps inside speech
        if 0 < s and e < mask.size and (e - s) * hop_s < ACTIVITY_CLOSE_S:
            mask[s:e] = True
    starts, ends = _runs(mask)
    for s, e in zip(starts, ends, strict=True):  # drop clicks
        if (e - s) * hop_s < ACTIVITY_MIN_RUN_S:
            mask[s:e] = False
    return mask


def smoothed_db(power_db: np.ndarray, hop_s: float) -> np.ndarray:
    """Frame levels averaged (as power) over ``OWN_VOICE_SMOOTH_S``: a voice's level, not a
    syllable's."""
    width = max(1, int(round(OWN_VOICE_SMOOTH_S / hop_s)))
    lin = np.convolve(10.0 ** (np.asarray(power_db) / 10.0), np.ones(width) / width, mode="same")
    return 10.0 * np.log10(np.maximum(lin, 1e-12))


def own_voice_masks(power_db: Sequence[np.ndarray], activity: Sequence[np.ndarray],
                    hop_s: float) -> list[np.ndarray]:
    """Per channel of a two-channel call, the active frames that carry that channel's own
    speaker rather than the other party's echo (see ``OWN_VOICE_DB``)."""
    n = min(p.size for p in power_db)
    level = [smoothed_db(p[:n], hop_s) for p in power_db]
    out = []
    for ch, act in enumerate(activity):
        other = np.max([v for i, v in enumerate(level) if i != ch], axis=0)
        own = act.copy()
        own[:n] &= level[ch] >= other - OWN_VOICE_DB
        own[n:] = False
        out.append(own)
    return out


def same_signal(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two channels' samples are one signal (correlation ``SAME_SIGNAL_CORR`` or more)."""
    n = min(a.size, b.size)
    if n < 2:
        return False
    x, y = np.asarray(a[:n], dtype=np.float64), np.asarray(b[:n], dtype=np.float64)
    sx, sy = float(x.std()), float(y.std())
    if sx == 0 or sy == 0:
        return False
    return float(np.mean((x - x.mean()) * (y - y.mean())) / (sx * sy)) >= SAME_SIGNAL_CORR


def _frames(start: float, end: float, hop_s: float, n: int) -> slice:
    return slice(max(0, int(round(start / hop_s))), max(0, min(n, int(round(end / hop_s)))))


def quiet_runs(activity: Sequence[np.ndarray], start: float, end: float,
               hop_s: float) -> list[Interval]:
    """Stretches inside [start, end) where no channel's activity mask is on."""
    if not activity:
        return [(start, end)]
    n = max(m.size for m in activity)
    sl = _frames(start, end, hop_s, n)
    busy = np.zeros(max(sl.stop - sl.start, 0), dtype=bool)
    for m in activity:
        part = m[sl]
        busy[: part.size] |= part
    s_idx, e_idx = _runs(~busy)
    return [(start + s * hop_s, min(end, start + e * hop_s)) for s, e in zip(s_idx, e_idx,
                                                                                 strict=True)]


def coactive_seconds(a: np.ndarray, b: np.ndarray, start: float, end: float,
                     hop_s: float) -> float:
    """Seconds inside [start, end) where both activity masks are on."""
    n = min(a.size, b.size)
    sl = _frames(start, end, hop_s, n)
    return float(np.count_nonzero(a[sl] & b[sl]) * hop_s)


def _stretches(utterances: Sequence[Mapping[str, Any]], speaker: str) -> list[tuple[float, float,
                                                                                   list[int]]]:
    """A speaker's utterances joined into stretches, with the utterance indices in each."""
    out: list[tuple[float, float, list[int]]] = []
    for i, u in sorted(
        ((i, u) for i, u in enumerate(utterances) if u.get("speaker") == speaker),
        key=lambda iu: float(iu[1]["start"]),
    ):
        start, end = float(u["start"]), float(u["end"])
        if out and start <= out[-1][1] + JOIN_GAP_S:
            s0, e0, idx = out[-1]
            out[-1] = (s0, max(e0, end), idx + [i])
        else:
            out.append((start, end, [i]))
    return out


def overlap_events(
    utterances: Sequence[Mapping[str, Any]],
    activity: Mapping[str, np.ndarray] | None = None,
    hop_s: float = 0.01,
) -> list[dict[str, Any]]:
    """Stretches where agent and customer speak at once (for stereo calls).

    ``activity`` maps "agent"/"customer" to the activity mask of that speaker's channel; with it
    an overlap's length is the time both channels carry speech. Each event records who started
    talking while the other was speaking and the utterances involved.
    """
    events: list[dict[str, Any]] = []
    customer = _stretches(utterances, "customer")
    for a_start, a_end, a_idx in _stretches(utterances, "agent"):
        for c_start, c_end, c_idx in customer:
            start, end = max(a_start, c_start), min(a_end, c_end)
            if end <= start:
                continue
            seconds = end - start
            if activity and "agent" in activity and "customer" in activity:
                seconds = coactive_seconds(activity["agent"], activity["customer"], start, end,
                                           hop_s)
            if seconds < OVERLAP_MIN_S:
                continue
            agent_i = next((i for i in a_idx if float(utterances[i]["end"]) > start), a_idx[0])
            cust_i = next((i for i in c_idx if float(utterances[i]["end"]) > start), c_idx[0])
            events.append({
                "start": round(start, 3),
                "end": round(end, 3),
                "s": round(seconds, 3),
                "started_by": "agent" if a_start > c_start else "customer",
                "agent_utterance": agent_i,
                "customer_utterance": cust_i,
            })
    events.sort(key=lambda e: e["start"])
    return events


def silence_events(
    utterances: Sequence[Mapping[str, Any]],
    activity: Sequence[np.ndarray] | None = None,
    hop_s: float = 0.01,
) -> tuple[list[dict[str, Any]], float, float]:
    """Silences between the first and last utterance, the total silent time and the longest.

    With ``activity`` masks, a gap counts as silent only where no channel carries speech, and
    its longest quiet run is what is reported.
    """
    events: list[dict[str, Any]] = []
    silent_total = 0.0
    longest = 0.0
    for g0, g1 in gaps(utterances):
        runs = quiet_runs(list(activity), g0, g1, hop_s) if activity else [(g0, g1)]
        silent_total += total(runs)
        if not runs:
            continue
        q0, q1 = max(runs, key=lambda r: r[1] - r[0])
        longest = max(longest, q1 - q0)
        if q1 - q0 >= SILENCE_LIST_MIN_S:
            events.append({"start": round(q0, 3), "end": round(q1, 3), "s": round(q1 - q0, 3),
                           "gap_start": round(g0, 3), "gap_end": round(g1, 3)})
    return events, silent_total, longest


def turn_metrics(
    utterances: Sequence[Mapping[str, Any]],
    layout: str,
    activity_by_channel: Mapping[int, np.ndarray] | None = None,
    hop_s: float = 0.01,
    own_voice_by_channel: Mapping[int, np.ndarray] | None = None,
    one_signal: bool = False,
) -> dict[str, Any]:
    """Call-level turn metrics (see the module docstring), None where they cannot be told.

    Overlaps are judged on ``own_voice_by_channel`` (each channel's frames carrying its own
    speaker; default: the activity masks); when the two channels carry ``one_signal`` no overlap
    can be told and ``overlaps`` is None, as on mono.
    """
    talk = {sp: talk_time(utterances, sp) for sp in ("agent", "customer", "unknown")}
    merged = merge_intervals(spans(utterances))
    connected = merged[-1][1] - merged[0][0] if merged else 0.0
    masks = list(activity_by_channel.values()) if activity_by_channel else None
    silences, silent_total, longest = silence_events(utterances, masks, hop_s)

    overlaps: list[dict[str, Any]] | None = None
    if layout == "stereo" and not one_signal:
        speaker_masks = None
        by_channel = own_voice_by_channel or activity_by_channel
        if by_channel:
            speaker_masks = {}
            for sp in ("agent", "customer"):
                ch = _main_channel(utterances, sp)
                if ch is not None and ch in by_channel:
                    speaker_masks[sp] = by_channel[ch]
            if speaker_masks.get("agent") is speaker_masks.get("customer"):
                speaker_masks = None  # both on one channel: the masks cannot tell them apart
        overlaps = overlap_events(utterances, speaker_masks, hop_s)

    return {
        "talk_s": {sp: round(v, 3) for sp, v in talk.items()},
        "longest_silence_s": round(longest, 3) if merged else None,
        "silence_share": round(silent_total / connected, 4) if connected > 0 else None,
        "overlap_count": len(overlaps) if overlaps is not None else None,
        "overlap_s": round(sum(e["s"] for e in overlaps), 3) if overlaps is not None else None,
        "talk_ratio": round(talk["agent"] / talk["customer"], 3) if talk["customer"] > 0 else None,
        "silences": silences,
        "overlaps": overlaps,
    }


def _main_channel(utterances: Sequence[Mapping[str, Any]], speaker: str) -> int | None:
    """The channel a speaker was heard on most (by talk time)."""
    seconds: dict[int, float] = {}
    for u in utterances:
        if u.get("speaker") == speaker:
            ch = int(u.get("channel", 0))
            seconds[ch] = seconds.get(ch, 0.0) + float(u["end"]) - float(u["start"])
    return max(seconds, key=lambda c: seconds[c]) if seconds else None
