"""The scorecard ``metrics`` block: how each speaker sounded, and how the turns went.

``measure`` reads the audio once into 10 ms frame energies per channel, then for each utterance
takes its channel's frames within its time span (stereo: the speaker's own channel; mono: the one
channel, so the span alone says whose voice it is) and derives:

- ``loudness_dbfs``: RMS over the utterance's speech frames (``auditor.voice.loudness``);
- ``speaking_s`` and ``rate_cpm``: spoken syllables per minute of speaking time (on stereo, the
  frames where the other channel is far louder are the other party's turn, never speaking time)
  (``auditor.voice.speech_rate``): the transcript's count, or the signal's syllable nuclei when
  the transcript is clearly short of them (``syllables_text``, ``syllables_audio``,
  ``rate_source`` say which);
- ``pitch_hz``: median F0 of its voiced frames (``auditor.voice.pitch``), tracked only between its
  first and last speech frame.

ASR and VAD boundaries are off by a tenth of a second or two and like to clip a loud first
syllable, so each span is widened by up to ``PAD_S`` on each side, never past the midpoint of the
gap to the neighbouring utterance on the same channel; the speech mask then drops whatever of the
widening is silence.

These come back as one ``Measures`` per utterance, aligned with the utterances (the scorecard's
utterances carry them, so the review page can show where a call went wrong; the utterance dicts
given are never changed), and are pooled per speaker. Turn metrics come from
``auditor.voice.turns``, refined by each channel's speech activity. Values that cannot be told
(no speech, no voiced frame, mono overlap) are None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from auditor.core.scorecard import Measures
from auditor.core.vocab import PARTIES
from auditor.voice import loudness, pitch, speech_rate, turns

#: Widening of each utterance span for measuring (see the module docstring).
PAD_S = 0.2

#: Stereo: a frame of one channel is the other party's turn heard on it (line echo, crosstalk)
#: when another channel is this much louder at that moment. Echo of the far party comes back
#: 20 dB or more below them (hybrid return loss plus echo cancelling); two people talking at once,
#: each on their own channel, are within about 10 dB of each other.
CROSSTALK_DB = 15.0


def crosstalk_frames(power_db: Sequence[np.ndarray]) -> list[np.ndarray | None]:
    """Per channel, the frames where another channel is ``CROSSTALK_DB`` louder (the other
    party's turn; levels over a fifth of a second, ``turns.smoothed_db``), or None with one
    channel (mono cannot tell whose turn a frame is)."""
    if len(power_db) < 2:
        return [None] * len(power_db)
    n = min(p.size for p in power_db)
    power_db = [turns.smoothed_db(p[:n], loudness.HOP_S) for p in power_db]
    out: list[np.ndarray | None] = []
    for ch, own in enumerate(power_db):
        others = np.max([p[:n] for i, p in enumerate(power_db) if i != ch], axis=0)
        mask = np.zeros(own.size, dtype=bool)
        mask[:n] = others >= own[:n] + CROSSTALK_DB
        out.append(mask)
    return out


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


class CallMeasures(NamedTuple):
    """What `measure` returns: the call's metrics block and each utterance's measures."""

    metrics: dict[str, Any]
    utterances: list[Measures]


def padded_spans(utterances: Sequence[Mapping[str, Any]],
                 n_channels: int) -> list[tuple[float, float]]:
    """Each utterance's (start, end) widened by up to PAD_S into the silence around it."""
    spans = [(float(u["start"]), float(u["end"])) for u in utterances]
    out = list(spans)
    by_channel: dict[int, list[int]] = {}
    for i, u in enumerate(utterances):
        ch = min(max(int(u.get("channel", 0) or 0), 0), n_channels - 1)
        by_channel.setdefault(ch, []).append(i)
    for idx in by_channel.values():
        idx.sort(key=lambda i: spans[i][0])
        prev_end = -np.inf
        for k, i in enumerate(idx):
            start, end = spans[i]
            next_start = spans[idx[k + 1]][0] if k + 1 < len(idx) else np.inf
            lo = max(start - PAD_S, (prev_end + start) / 2, 0.0) if prev_end < start else start
            hi = min(end + PAD_S, (end + next_start) / 2) if next_start > end else end
            out[i] = (min(lo, start), max(hi, end))
            prev_end = max(prev_end, end)
    return out


def measure(
    audio_samples: np.ndarray,
    sample_rate: int,
    utterances: Sequence[Mapping[str, Any]],
    layout: str,
) -> CallMeasures:
    """The metrics block for one call and the measures of each utterance (aligned with them).

    ``audio_samples`` is float32 ``(n_channels, n_samples)`` (a 1-D array is taken as mono);
    ``layout`` is "stereo" or "mono". Utterances need speaker, start, end, text and channel.
    """
    samples = np.atleast_2d(np.asarray(audio_samples, dtype=np.float32))
    n_channels = samples.shape[0]
    power = [loudness.frame_power(samples[ch], sample_rate) for ch in range(n_channels)]
    background = [loudness.background_db(p) for p in power]
    crosstalk = (crosstalk_frames([loudness.to_db(p) for p in power]) if layout == "stereo"
                 else [None] * n_channels)
    hop_samples = int(round(loudness.HOP_S * sample_rate))
    frame_samples = int(round(loudness.FRAME_S * sample_rate))

    per_speaker: dict[str, dict[str, list[Any]]] = {}
    utt_level: dict[int, list[float]] = {}
    measures: list[Measures] = []
    for u, (start, end) in zip(utterances, padded_spans(utterances, n_channels), strict=True):
        ch = min(max(int(u.get("channel", 0) or 0), 0), n_channels - 1)
        span_s = float(u["end"]) - float(u["start"])
        acc = per_speaker.setdefault(
            str(u.get("speaker", "unknown")),
            {"units": [], "speaking": [], "power": [], "f0": [], "level": []},
        )
        text_units = speech_rate.spoken_units(str(u.get("text", "")))
        nuclei = None
        level = None
        f0 = np.zeros(0)
        mask = None
        if span_s > 0 and power[ch].size:
            sl = loudness.span_frames(start, end, power[ch].size)
            p = power[ch][sl]
            mask = loudness.speech_mask(p)
            level = loudness.dbfs_of_power([p[mask]])
            if level is None:
                mask = None
            else:
                idx = np.flatnonzero(mask)
                s0 = (sl.start + int(idx[0])) * hop_samples
                s1 = (sl.start + int(idx[-1])) * hop_samples + frame_samples
                f0 = pitch.track(samples[ch, s0:s1], sample_rate)
                nuclei = speech_rate.syllable_nuclei(samples[ch, s0:s1], sample_rate)
                acc["power"].append(p[mask])
                acc["level"].append(level)
                utt_level.setdefault(ch, []).append(level)
        speaking = (
            max(span_s, 0.0) if mask is None  # nothing audible: the ASR's span is all we have
            else speech_rate.speaking_seconds(
                loudness.timing_mask(p, background[ch]), loudness.HOP_S, end - start,
                elsewhere=None if crosstalk[ch] is None else crosstalk[ch][sl])
        )
        units, source = speech_rate.spoken_syllables(text_units, nuclei, u.get("confidence"))
        acc["units"].append(units)
        acc["speaking"].append(speaking)
        acc["f0"].append(f0)

        rate = speech_rate.rate_cpm(units, speaking)
        measures.append(Measures(
            speaking_s=round(speaking, 3),
            rate_cpm=_r(rate, 1),
            loudness_dbfs=_r(level, 1),
            pitch_hz=_r(pitch.median_hz(f0), 1),
            syllables_text=text_units,
            syllables_audio=nuclei,
            rate_source=source,
        ))

    # Channel activity, relative to the typical level of the speech heard on that channel.
    activity = {
        ch: turns.activity_mask(
            loudness.to_db(power[ch]),
            float(np.median(utt_level[ch])) if ch in utt_level else None,
            loudness.HOP_S,
        )
        for ch in range(n_channels)
    }
    own_voice = None
    one_signal = False
    if layout == "stereo" and n_channels == 2:
        one_signal = turns.same_signal(samples[0], samples[1])
        own_voice = dict(enumerate(turns.own_voice_masks(
            [loudness.to_db(p) for p in power], [activity[0], activity[1]], loudness.HOP_S)))
    turn = turns.turn_metrics(utterances, layout, activity, loudness.HOP_S,
                              own_voice_by_channel=own_voice, one_signal=one_signal)

    out: dict[str, Any] = {}
    names = list(PARTIES) + (["unknown"] if "unknown" in per_speaker else [])
    for name in names:
        acc = per_speaker.get(name, {"units": [], "speaking": [], "power": [], "f0": [],
                                     "level": []})
        median_f0, std_st = pitch.summarize(acc["f0"])
        out[name] = {
            "speech_rate_cpm": _r(speech_rate.pooled_rate_cpm(acc["units"], acc["speaking"]), 1),
            "pitch_median_hz": _r(median_f0, 1),
            "pitch_std_semitones": _r(std_st, 2),
            "loudness_dbfs": _r(loudness.dbfs_of_power(acc["power"]), 1),
            "loudness_median_dbfs": _r(float(np.median(acc["level"])) if acc["level"] else None,
                                       1),
            "talk_s": turn["talk_s"].get(name, 0.0),
            "speaking_s": round(float(sum(acc["speaking"])), 3),
            "characters": int(sum(acc["units"])),
            "utterances": len(acc["units"]),
        }
    out.update({
        "longest_silence_s": turn["longest_silence_s"],
        "silence_share": turn["silence_share"],
        "overlap_count": turn["overlap_count"],
        "overlap_s": turn["overlap_s"],
        "talk_ratio": turn["talk_ratio"],
        "silences": turn["silences"],
        "overlaps": turn["overlaps"],
    })
    return CallMeasures(out, measures)
