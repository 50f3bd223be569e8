"""Attribution accuracy on the sample calls: share of truth speech time with the right speaker.

For each sample call with a ``<stem>.truth.json``, the truth utterance times stand in for the
VAD and the truth texts for the ASR, so this measures attribution alone:

- mono calls as recorded;
- stereo calls mixed down to mono ((ch0 + ch1) / 2), which gives more two-voice material;
- change splitting: adjacent agent/customer turns merged into one stretch (as a VAD with a long
  hangover would), then ``split_at_speaker_changes``; a cut counts as right when it falls between
  the two turns (±0.3 s), and any cut inside a one-voice stretch counts as a false split.

Run: ``python -m bench.bench_attribution [samples/calls]``.

With ``--asr DIR``, the same accuracy on what the product really sees: DIR holds one JSON per
call as dumped by the pipeline before attribution (``file``, ``truth``, ``mixdown`` and the
``utterances``: VAD times and Whisper text, speaker ``unknown``), e.g.
``python -m bench.bench_attribution --asr /tmp/mono_asr``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from auditor.speakers.attribution import attribute
from auditor.speakers.changes import split_at_speaker_changes
from auditor.speakers.features import VoiceFrames, voice_frames

ROOT = Path(__file__).resolve().parents[1]

SR = 16000
STEP_S = 0.01
CUT_TOLERANCE_S = 0.3


def attribution_accuracy(pred_utterances: list[dict], truth_utterances: list[dict]) -> float:
    """Share of truth speech time whose predicted speaker is right (``unknown`` counts as wrong).

    Time is sampled every 10 ms; at each instant the prediction is the predicted utterance that
    covers it (the latest-starting one if several do); no prediction there counts as wrong.
    """
    if not truth_utterances:
        return 0.0
    end = max(float(u["end"]) for u in [*truth_utterances, *pred_utterances])
    n = int(np.ceil(end / STEP_S)) + 1
    codes = {"agent": 1, "customer": 2}
    pred = np.zeros(n, dtype=np.int8)
    for u in sorted(pred_utterances, key=lambda u: float(u["start"])):
        pred[_idx(u["start"]) : _idx(u["end"])] = codes.get(u["speaker"], 0)
    total = correct = 0
    for u in truth_utterances:
        a, b = _idx(u["start"]), _idx(u["end"])
        total += b - a
        correct += int((pred[a:b] == codes.get(u["speaker"], -1)).sum())
    return correct / total if total else 0.0


def _idx(t: float) -> int:
    return int(round(float(t) / STEP_S))


def _load(audio_path: Path) -> np.ndarray:
    """Decode to (channels, n) float32 at 16 kHz with the lead's decoder, or PyAV directly."""
    try:
        from auditor.audio.decode import decode

        return decode(audio_path).samples
    except ImportError:  # pragma: no cover - before auditor/audio.py exists
        import av

        with av.open(str(audio_path)) as container:
            stream = container.streams.audio[0]
            n_ch = stream.codec_context.channels
            layout = "stereo" if n_ch == 2 else "mono"
            res = av.AudioResampler(format="fltp", layout=layout, rate=SR)
            chunks = [f.to_ndarray() for fr in container.decode(stream) for f in res.resample(fr)]
            chunks += [f.to_ndarray() for f in res.resample(None)]
        return np.concatenate(chunks, axis=1).astype(np.float32)


def _audio_for(truth_path: Path) -> Path | None:
    stem = truth_path.name[: -len(".truth.json")]
    for p in sorted(truth_path.parent.glob(stem + ".*")):
        if not p.name.endswith(".json"):
            return p
    return None


def _split_check(frames: VoiceFrames, truth: list[dict]) -> tuple[int, int, int]:
    """(turn changes merged, cuts found between the turns, false cuts) for one call."""
    utts = sorted(truth, key=lambda u: u["start"])
    regions, changes, k = [], [], 0
    while k < len(utts):
        u = utts[k]
        if (k + 1 < len(utts) and utts[k + 1]["speaker"] != u["speaker"]
                and utts[k + 1]["start"] >= u["end"]):
            regions.append((u["start"], utts[k + 1]["end"]))
            changes.append((u["end"], utts[k + 1]["start"]))
            k += 2
        else:
            regions.append((u["start"], u["end"]))
            changes.append(None)
            k += 1
    out = split_at_speaker_changes(frames, regions)
    found = false = 0
    for (a, b), change in zip(regions, changes, strict=True):
        cuts = [s for s, _ in out if a < s < b]
        if change is None:
            false += len(cuts)
            continue
        good = [c for c in cuts if change[0] - CUT_TOLERANCE_S <= c <= change[1] + CUT_TOLERANCE_S]
        found += 1 if good else 0
        false += len(cuts) - (1 if good else 0)
    return sum(c is not None for c in changes), found, false


def run(calls_dir: Path) -> dict:
    """Measure every sample call; print one line per call and the totals; return the numbers."""
    rows = []
    for truth_path in sorted(calls_dir.glob("*.truth.json")):
        truth_doc = json.loads(truth_path.read_text(encoding="utf-8"))
        audio_path = _audio_for(truth_path)
        if audio_path is None:
            continue
        truth = [u for u in truth_doc["utterances"] if u["speaker"] in ("agent", "customer")]
        samples = _load(audio_path)
        y = samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]
        given = [dict(u, speaker="unknown", channel=0) for u in truth]
        t0 = time.perf_counter()
        frames = voice_frames(y, SR)
        pred, conf = attribute(frames, given)
        cost = time.perf_counter() - t0
        changes, found, false = _split_check(frames, truth)
        rows.append({
            "call": truth_path.name[: -len(".truth.json")],
            "layout": truth_doc.get("layout", "mono" if samples.shape[0] == 1 else "stereo"),
            "voices": len({u["speaker"] for u in truth}),
            "duration_s": samples.shape[1] / SR,
            "accuracy": attribution_accuracy(pred, truth),
            "speech_s": sum(u["end"] - u["start"] for u in truth),
            "confidence": conf,
            "unknown": sum(u["speaker"] == "unknown" for u in pred),
            "ms": cost * 1000,
            "changes": changes, "cuts_found": found, "false_cuts": false,
        })
        r = rows[-1]
        print(f"{r['call']:<42} {r['layout']:<6} voices={r['voices']} {r['duration_s']:5.1f}s "
              f"acc={r['accuracy']:6.1%} conf={r['confidence']:.2f} unknown={r['unknown']} "
              f"cuts={found}/{changes} false={false} {r['ms']:4.0f}ms")
    summary = _print_totals(rows, "attribution accuracy", [
        ("mono", "mono calls", lambda r: r["layout"] == "mono"),
        ("stereo", "stereo calls mixed to mono", lambda r: r["layout"] == "stereo"),
    ])
    if rows:
        minutes = sum(r["duration_s"] for r in rows) / 60
        print(f"cost: {sum(r['ms'] for r in rows) / minutes:.0f} ms per minute of audio; "
              f"change cuts {sum(r['cuts_found'] for r in rows)}/{sum(r['changes'] for r in rows)}"
              f", false cuts {sum(r['false_cuts'] for r in rows)}")
    return {"rows": rows, "summary": summary}


def run_asr(dump_dir: Path, calls_dir: Path, verbose: bool = False) -> dict:
    """Accuracy on pipeline dumps (ASR text, VAD times): one line per call, then the totals."""
    rows = []
    for path in sorted(dump_dir.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        truth_path = Path(doc["truth"])
        truth_path = truth_path if truth_path.is_absolute() else ROOT / truth_path
        truth_doc = json.loads(truth_path.read_text(encoding="utf-8"))
        truth = [u for u in truth_doc["utterances"] if u["speaker"] in ("agent", "customer")]
        samples = _load(calls_dir / doc["file"])
        y = samples.mean(axis=0) if samples.shape[0] > 1 else samples[0]
        t0 = time.perf_counter()
        pred, conf = attribute(voice_frames(y, SR),
                               [dict(u, speaker="unknown") for u in doc["utterances"]])
        cost = time.perf_counter() - t0
        rows.append({
            "call": path.stem, "mixdown": bool(doc.get("mixdown")),
            "voices": len({u["speaker"] for u in truth}),
            "accuracy": attribution_accuracy(pred, truth), "confidence": conf,
            "speech_s": sum(u["end"] - u["start"] for u in truth),
            "unknown": sum(u["speaker"] == "unknown" for u in pred), "ms": cost * 1000,
        })
        r = rows[-1]
        print(f"{r['call']:<46} voices={r['voices']} acc={r['accuracy']:6.1%} "
              f"conf={r['confidence']:.2f} unknown={r['unknown']} {r['ms']:4.0f}ms")
        if verbose:
            for u in pred:
                print(f"    {u['start']:6.2f}-{u['end']:6.2f} {u['speaker']:<8} {u['text']}")
    summary = _print_totals(rows, "ASR attribution accuracy", [
        ("mono", "mono calls", lambda r: not r["mixdown"]),
        ("mixdown", "stereo calls mixed to mono", lambda r: r["mixdown"]),
    ])
    return {"rows": rows, "summary": summary}


def _print_totals(rows: list[dict], title: str, groups: list) -> dict[str, float]:
    """Speech-weighted accuracy per group of two-voice calls, and single-voice confidences."""
    summary = {}
    for key, label, member in groups:
        sel = [r for r in rows if member(r) and r["voices"] == 2]
        if sel:
            acc = sum(r["accuracy"] * r["speech_s"] for r in sel) / sum(r["speech_s"] for r in sel)
            summary[key] = acc
            print(f"{title}, {label} (two voices): {acc:.1%} of speech over {len(sel)}, "
                  f"worst {min(r['accuracy'] for r in sel):.1%}")
    single = [r for r in rows if r["voices"] == 1]
    if single:
        print("single-voice calls: confidence " + ", ".join(
            f"{r['call']}={r['confidence']:.2f}" for r in single))
    return summary


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``make bench``: prints per-call and mean attribution accuracy."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--asr":
        verbose = "-v" in argv
        rest = [a for a in argv[1:] if a != "-v"]
        calls = Path(rest[1]) if len(rest) > 1 else ROOT / "samples" / "calls"
        return 0 if run_asr(Path(rest[0]), calls, verbose)["rows"] else 1
    calls_dir = Path(argv[0]) if argv else ROOT / "samples" / "calls"
    if not calls_dir.is_dir():
        print(f"no sample calls in {calls_dir}; run `make samples` first")
        return 1
    result = run(calls_dir)
    return 0 if result["rows"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
