"""`make bench`: speed and accuracy figures over the sample calls and ../shared/realzh.

Prints, with the model loaded once: the transcription real-time factor and coverage per sample
call, the character error rate on the real recordings of ../shared/realzh (when present), the
voice metrics' cost as a share of transcription time, attribution accuracy on the mono calls,
the batch real-time factor with 1 and 2 workers, and the product's transcription against plain
faster-whisper on real speech at 16 kHz and 8 kHz mu-law (bench.asr_compare). Figures go into
the README by hand.

`python -m bench.bench --profile` prints only the CPU seconds per pipeline stage (decode, VAD,
encoder, decoder, alignment, pitch, rules...) of one process auditing four sample calls twice.
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


PROFILE_CALLS = ("pii_leak_stereo_8k", "compliant_stereo_8k", "compliant_mono_16k",
                 "new_loan_mono_8k")


def _stage_hooks():
    """(owner, attribute, stage label) of every function the stage profile times."""
    import auditor.analysis as analysis
    import auditor.asr.transcribe as transcribe
    import auditor.audio.vad as vad
    import auditor.compliance.audit as audit
    import auditor.pipeline as pipeline
    import auditor.speakers.attribution as attribution
    import auditor.speakers.changes as changes
    import auditor.voice.delivery as delivery
    import auditor.voice.metrics as metrics
    import auditor.voice.pitch as pitch

    T = transcribe.Transcriber
    return [
        (pipeline, "decode", "decode"), (pipeline, "as_mono_if_one_signal", "channel check"),
        (pipeline, "voice_frames", "voice frames (mono)"),
        (vad, "suppress_crosstalk", "crosstalk mute"), (vad, "speech_regions", "VAD"),
        (changes, "split_at_speaker_changes", "speaker changes"),
        (T, "_features", "mel features"), (T, "_generate_encoded", "decoder"),
        (T, "_redecode_digits", "digit re-decode (rest)"),
        (T, "_fill_empty", "decode alone (rest)"),
        (T, "_redecode_loop", "loop re-decode (rest)"),
        (T, "_redecode_sparse", "sparse re-decode (rest)"), (T, "decode", "asr (rest)"),
        (attribution, "attribute", "attribution"), (pitch, "track", "pitch"),
        (metrics, "measure", "voice metrics (rest)"), (delivery, "delivery_flags", "delivery"),
        (audit, "audit_utterances", "rules and steps"), (analysis, "outcome_of", "outcome"),
        (analysis.Analyser, "analyse", "analysis (rest)"),
        (pipeline.Auditor, "audit", "audit (rest)"),
    ]


def profile_stages(calls: tuple[str, ...] = PROFILE_CALLS, passes: int = 2,
                   threads: int = 1) -> list[dict[str, float]]:
    """CPU seconds per pipeline stage for one process auditing `calls` (sample stems), each
    pass over all of them: pass 1 pays the first-use costs (imports, numba, jieba), the later
    ones are the steady state. Process time (all threads), not wall: the machine is shared, and
    wall time says more about the neighbours than about the code. A stage's figure excludes
    the timed stages it calls (encoder, decoder and alignment are timed on the model)."""
    import functools

    from auditor.pipeline import Auditor

    spent: dict[str, float] = {}
    stack: list[float] = []

    def timed(fn, label):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            t0 = time.process_time()
            stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.process_time() - t0
                inner_s = stack.pop()
                spent[label] = spent.get(label, 0.0) + took - inner_s
                if stack:
                    stack[-1] += took
        return inner

    t0 = time.process_time()
    auditor = Auditor(threads=threads)
    model = auditor.transcriber.model
    print(f"start-up (rules, settings, model): {time.process_time() - t0:.2f} CPU s")
    hooks = _stage_hooks() + [(model, "encode", "encoder"), (model, "find_alignment", "alignment")]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in hooks]
    for owner, name, label in hooks:
        setattr(owner, name, timed(getattr(owner, name), label))
    paths = [next(p for p in SAMPLES.glob(stem + ".*") if not p.name.endswith(".json"))
             for stem in calls]
    rows = []
    try:
        for n in range(passes):
            spent.clear()
            c0 = time.process_time()
            audio_s = sum(auditor.audit(p).get("duration_s") or 0.0 for p in paths)
            total = time.process_time() - c0
            print(f"pass {n + 1}: {len(paths)} calls, {audio_s:.1f} s of audio, {total:.2f} CPU s "
                  f"({total / audio_s:.3f} CPU s per audio s, {threads} thread(s))")
            for label, sec in sorted(spent.items(), key=lambda kv: -kv[1]):
                print(f"    {label:<26} {sec:7.2f}")
            rows.append({"cpu_s": total, "audio_s": audio_s, **spent})
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)
    return rows


def main() -> None:
    import sys

    from auditor.pipeline import Auditor

    if "--profile" in sys.argv[1:]:  # python -m bench.bench --profile: CPU per stage only
        profile_stages()
        return

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
