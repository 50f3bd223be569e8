"""`make bench`: speed and accuracy figures over the sample calls and ../shared/realzh.

Prints, with the model loaded once: the transcription real-time factor and coverage per sample
call, the character error rate on the real recordings of ../shared/realzh (when present), the
voice metrics' cost as a share of transcription time, attribution accuracy on the mono calls,
the batch real-time factor with 1 and 2 workers, and the product's transcription against plain
faster-whisper on real speech at 16 kHz and 8 kHz mu-law (bench.asr_compare). Figures go into
the README by hand.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


SAMPLES = ROOT / "samples" / "calls"
REALZH = Path(os.environ.get("AUDITOR_REALZH", ROOT.parent / "shared" / "realzh"))


def sample_calls() -> list[tuple[Path, dict]]:
    """(recording, truth) for every sample call."""
    calls = []
    for truth_path in sorted(SAMPLES.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        calls.append((SAMPLES / truth["file"], truth))
    return calls


def transcribe_timed(auditor, audio):
    """Speech detection + guarded decoding of one decoded call; returns (pieces, seconds)."""
    from auditor.pipeline import find_pieces
    from auditor.speakers.features import voice_frames

    t0 = time.perf_counter()
    frames = voice_frames(audio.samples[0], audio.sample_rate) if audio.channels == 1 else None
    pieces = find_pieces(audio, auditor.asr_settings, frames)
    auditor.transcriber.decode(audio.samples, pieces)
    return pieces, time.perf_counter() - t0


def bench_transcription(auditor) -> dict:
    """RTF and coverage of transcription over the sample calls."""
    from auditor.asr.transcribe import coverage
    from auditor.audio.decode import decode

    print("\n== Transcription over the sample calls (model loaded once) ==")
    print(f"{'call':<48} {'audio s':>7} {'asr s':>6} {'RTF':>6} {'coverage':>8}")
    total_audio = total_asr = 0.0
    worst = 1.0
    per_call = {}
    for path, _truth in sample_calls():
        t0 = time.perf_counter()
        audio = decode(path)
        decode_s = time.perf_counter() - t0
        pieces, asr_s = transcribe_timed(auditor, audio)
        _speech, cov = coverage(pieces)
        total_audio += audio.duration_s
        total_asr += asr_s + decode_s
        worst = min(worst, cov)
        per_call[path.name] = (audio, pieces, asr_s)
        print(f"{path.name:<48} {audio.duration_s:7.1f} {asr_s + decode_s:6.2f} "
              f"{(asr_s + decode_s) / audio.duration_s:6.3f} {cov:8.3f}")
    rtf = total_asr / total_audio if total_audio else float("nan")
    print(f"{'ALL':<48} {total_audio:7.1f} {total_asr:6.2f} {rtf:6.3f}  min coverage {worst:.3f}")
    return {"rtf": rtf, "min_coverage": worst, "per_call": per_call, "asr_s": total_asr}


def bench_cer(auditor) -> float | None:
    """Character error rate on ../shared/realzh through the product's own transcription."""
    from auditor.audio.decode import decode
    from bench.cer import char_errors

    wavs = sorted(REALZH.glob("*.wav")) if REALZH.is_dir() else []
    if not wavs:
        print(f"\n(no real recordings at {REALZH}; CER skipped)")
        return None
    print(f"\n== Character error rate on {REALZH} ==")
    errors = length = 0
    for wav in wavs:
        ref = wav.with_suffix(".txt").read_text(encoding="utf-8").strip()
        pieces, _ = transcribe_timed(auditor, decode(wav))
        hyp = "".join(p.text for p in pieces)
        e, n = char_errors(ref, hyp)
        errors, length = errors + e, length + n
        print(f"{wav.name:<48} {e:3d}/{n:<3d} {hyp}")
    cer = errors / length if length else float("nan")
    print(f"CER {cer:.3f} ({errors}/{length} characters)")
    return cer


def main() -> None:
    from auditor.pipeline import Auditor

    t0 = time.perf_counter()
    auditor = Auditor()
    _ = auditor.transcriber  # load the model now, once, outside the timings
    print(f"model {auditor.model_name} loaded in {time.perf_counter() - t0:.1f} s "
          f"({auditor.threads or os.cpu_count()} threads)")
    results = bench_transcription(auditor)
    cer = bench_cer(auditor)
    summary = {"transcription_rtf": round(results["rtf"], 3),
               "min_coverage": round(results["min_coverage"], 3),
               "realzh_cer": None if cer is None else round(cer, 3)}
    for _name, fn in extra_benches():
        summary.update(fn(auditor, results) or {})
    from bench.asr_compare import bench_compare

    summary.update(bench_compare(auditor, results))
    print("\n== Summary ==")
    print(json.dumps(summary, indent=2))


def extra_benches():
    """The stage benchmarks (metrics, attribution, batch), in the order they are printed."""
    from bench import bench_parts

    return bench_parts.BENCHES


if __name__ == "__main__":
    main()
