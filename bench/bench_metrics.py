"""Cost and accuracy of the voice metrics and delivery flags on the sample calls.

``time_metrics(audio, utterances)`` is what ``make bench`` calls: the seconds that
``measure`` + ``delivery_flags`` take on one call, warm (librosa's one-off import and cached
numba load happen once per process, before the first timing, as in a batch run).

Run directly, it checks every call in samples/calls against its truth file, using the truth
utterance times and texts: which delivery flags fire against which were expected, the measured
speech rate against characters / speaking time from the truth, and (``--pyin``) the pitch median
against ``librosa.pyin`` on the same speaker's speech.

    .venv/bin/python -m bench.bench_metrics [--pyin] [CALLS_DIR]
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from auditor.voice.delivery import delivery_flags, load_thresholds
from auditor.voice.metrics import measure

ROOT = Path(__file__).resolve().parents[1]

DELIVERY = {"speech_rate_fast", "shouting", "long_silence", "interruption"}
_warm = False
_warmup_s = 0.0


def warmup() -> float:
    """Pay librosa's lazy imports and numba loads once; returns the seconds it took."""
    global _warm, _warmup_s
    if not _warm:
        t0 = time.perf_counter()
        rng = np.random.default_rng(0)
        t = np.arange(16000) / 16000
        x = (0.3 * np.sin(2 * np.pi * 150 * t) + 0.01 * rng.standard_normal(t.size))
        utts = [{"speaker": "agent", "start": 0.1, "end": 0.9, "text": "您好", "channel": 0}]
        measure(x.astype(np.float32)[None, :], 16000, utts, "mono")
        _warmup_s = time.perf_counter() - t0
        _warm = True
    return _warmup_s


def _samples_rate_layout(audio: Any) -> tuple[np.ndarray, int, str]:
    samples = np.atleast_2d(np.asarray(getattr(audio, "samples", audio), dtype=np.float32))
    rate = int(getattr(audio, "sample_rate", 16000))
    return samples, rate, "stereo" if samples.shape[0] == 2 else "mono"


def time_metrics(audio: Any, utterances: list[dict[str, Any]]) -> float:
    """Seconds to compute the metrics and delivery flags of one call (warm).

    ``audio`` is an ``auditor.audio.decode.Audio`` (or a samples array at 16 kHz); the utterances
    are copied, not annotated.
    """
    warmup()
    samples, rate, layout = _samples_rate_layout(audio)
    utts = copy.deepcopy(utterances)
    thresholds = load_thresholds()
    t0 = time.perf_counter()
    metrics, measures = measure(samples, rate, utts, layout)
    delivery_flags(metrics, utts, layout, thresholds, measures)
    return time.perf_counter() - t0


def truth_utterances(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Truth utterances with the channel each was recorded on."""
    agent_ch = int(truth.get("agent_channel") or 0)
    stereo = truth.get("layout") == "stereo"
    out = []
    for u in truth["utterances"]:
        ch = 0
        if stereo:
            ch = agent_ch if u["speaker"] == "agent" else 1 - agent_ch
        out.append({"speaker": u["speaker"], "start": float(u["start"]), "end": float(u["end"]),
                    "text": u["text"], "channel": ch})
    return out


def _truth_rate(utts: list[dict[str, Any]], speaker: str) -> float | None:
    """Spoken syllables (``speech_rate.spoken_units``: a syllable per character, digits read
    out) per minute of truth utterance time, as bench.bench_speech_rate counts them."""
    from auditor.voice.speech_rate import spoken_units

    chars = sum(spoken_units(u["text"]) for u in utts if u["speaker"] == speaker)
    secs = sum(u["end"] - u["start"] for u in utts if u["speaker"] == speaker)
    return chars / secs * 60 if secs else None


def _pyin_median(samples: np.ndarray, sr: int, utts: list[dict[str, Any]],
                 speaker: str) -> float | None:
    import librosa

    voiced = []
    for u in utts:
        if u["speaker"] != speaker:
            continue
        x = samples[u["channel"], int(u["start"] * sr): int(u["end"] * sr)]
        if x.size < 2048:
            continue
        f0, flag, _ = librosa.pyin(x, fmin=60, fmax=500, sr=sr, frame_length=1024,
                                   hop_length=256)
        voiced.append(f0[flag])
    f0 = np.concatenate(voiced) if voiced else np.zeros(0)
    return float(np.median(f0)) if f0.size else None


def _pct(a: float | None, b: float | None) -> str:
    return "   n/a" if a is None or not b else f"{100 * (a - b) / b:+5.1f}%"


def main(argv: list[str]) -> int:
    from auditor.audio.decode import decode

    use_pyin = "--pyin" in argv
    args = [a for a in argv if not a.startswith("--")]
    calls_dir = Path(args[0]) if args else ROOT / "samples" / "calls"
    print(f"warm-up (once per process): {warmup():.2f} s")
    thresholds = load_thresholds()
    ok = True
    for truth_path in sorted(calls_dir.glob("*.truth.json")):
        try:
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            audio = decode(calls_dir / truth["file"])
        except (OSError, ValueError) as exc:  # a call still being written, or unreadable
            print(f"\n{truth_path.name}: skipped ({exc})")
            continue
        samples, sr, layout = _samples_rate_layout(audio)
        utts = truth_utterances(truth)
        cost = min(time_metrics(audio, utts) for _ in range(2))
        metrics, measures = measure(samples, sr, utts, layout)
        flags = delivery_flags(metrics, utts, layout, thresholds, measures)
        fired = sorted({f["category"] for f in flags})
        expected = sorted(DELIVERY & set(truth.get("expected_flags", [])))
        match = sorted(DELIVERY & set(fired)) == expected
        ok &= match
        dur = samples.shape[1] / sr
        print(f"\n{truth['file']}  {dur:.1f} s {layout}  metrics {cost * 1000:.0f} ms "
              f"({100 * cost / dur:.2f}% of real time)")
        print(f"  flags fired {fired}  expected {expected}  {'OK' if match else 'MISMATCH'}")
        for f in flags:
            print(f"    {f['category']:16s} {f['start']:6.1f}-{f['end']:6.1f}  {f['matched']}")
        for sp in ("agent", "customer"):
            m = metrics[sp]
            truth_rate = _truth_rate(utts, sp)
            shown = truth_rate and round(truth_rate)
            line = (f"  {sp:8s} rate {m['speech_rate_cpm']} cpm (truth {shown}"
                    f", {_pct(m['speech_rate_cpm'], truth_rate)})  pitch {m['pitch_median_hz']} Hz"
                    f" ±{m['pitch_std_semitones']} st  loud {m['loudness_dbfs']} dBFS"
                    f"  talk {m['talk_s']} s")
            if use_pyin:
                ref = _pyin_median(samples, sr, utts, sp)
                line += f"  pyin {ref and round(ref, 1)} Hz ({_pct(m['pitch_median_hz'], ref)})"
            print(line)
        print(f"  longest_silence {metrics['longest_silence_s']} s  silence_share "
              f"{metrics['silence_share']}  overlaps {metrics['overlap_count']} "
              f"({metrics['overlap_s']} s)  talk_ratio {metrics['talk_ratio']}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
