"""Stage benchmarks run by bench.py after transcription: each takes the loaded Auditor and the
transcription results, prints its section and returns figures for the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "calls"


def _utterances(auditor, item) -> list[dict[str, Any]]:
    from auditor.pipeline import pieces_to_utterances

    audio, pieces, _asr_s = item
    return pieces_to_utterances(pieces, audio.channels, auditor.agent_channel)


def metrics_cost(auditor, results) -> dict[str, Any]:
    """Voice metrics + delivery flags time as a share of transcription time."""
    from bench.bench_metrics import time_metrics

    print("\n== Voice metrics cost (warm) against transcription ==")
    metrics_s = 0.0
    for name, item in results["per_call"].items():
        seconds = time_metrics(item[0], _utterances(auditor, item))
        metrics_s += seconds
        print(f"{name:<48} metrics {seconds * 1000:6.0f} ms   asr {item[2]:6.2f} s")
    share = metrics_s / results["asr_s"] if results["asr_s"] else float("nan")
    print(f"metrics {metrics_s:.2f} s against transcription {results['asr_s']:.1f} s: "
          f"{share:.1%}")
    return {"metrics_share_of_asr": round(share, 4)}


def attribution(auditor, results) -> dict[str, Any]:
    """Share of speech time attributed to the right party on the mono calls (from audio)."""
    from auditor.speakers.attribution import attribute
    from auditor.speakers.features import voice_frames
    from bench.bench_attribution import attribution_accuracy

    print("\n== Mono attribution from audio (share of truth speech time correct) ==")
    total = correct = 0.0
    for name, item in results["per_call"].items():
        audio = item[0]
        if audio.channels != 1:
            continue
        truth = json.loads((SAMPLES / name).with_suffix(".truth.json").read_text("utf-8"))
        utts, confidence = attribute(voice_frames(audio.samples[0], audio.sample_rate),
                                     _utterances(auditor, item))
        acc = attribution_accuracy(utts, truth["utterances"])
        speech = sum(u["end"] - u["start"] for u in truth["utterances"])
        total += speech
        correct += acc * speech
        print(f"{name:<48} accuracy {acc:6.3f}  confidence {confidence:.2f}")
    overall = correct / total if total else float("nan")
    print(f"all mono calls: {overall:.3f} of speech time attributed correctly")
    return {"mono_attribution_accuracy": round(overall, 3)}


def mixdown(auditor, results) -> dict[str, Any]:
    """Attribution on mono calls built at run time (held-out split), and its cost as a share of
    transcription time on the mono sample calls (voice features + attribution vs decoding)."""
    import time

    from auditor.speakers.attribution import attribute
    from auditor.speakers.features import voice_frames
    from bench import bench_mixdown

    out = bench_mixdown.run()["summary"]
    spent = asr = 0.0
    for _name, item in results["per_call"].items():
        audio = item[0]
        if audio.channels != 1:
            continue
        t0 = time.perf_counter()
        attribute(voice_frames(audio.samples[0], audio.sample_rate), _utterances(auditor, item))
        spent += time.perf_counter() - t0
        asr += item[2]
    share = spent / asr if asr else float("nan")
    print(f"attribution on the mono sample calls: {spent:.2f} s against transcription "
          f"{asr:.1f} s: {share:.1%} (target <= 10%)")
    out["attribution_share_of_asr"] = round(share, 4)
    return out


def batch(auditor, results) -> dict[str, Any]:
    """Batch real-time factor with 1 and 2 workers (model load included)."""
    from bench import bench_batch

    return bench_batch.run(auditor, results)


def cluster(auditor, results) -> dict[str, Any]:
    """The local batch against `--cluster local:2` (overhead of the Dask executor)."""
    from bench import bench_cluster

    return bench_cluster.run(auditor, results)


def rescore(auditor, results) -> dict[str, Any]:
    """`auditor rescore` of the sample calls' database as a share of their batch time."""
    from bench import bench_rescore

    return bench_rescore.run(auditor, results)


BENCHES: list = [("metrics", metrics_cost), ("attribution", attribution),
                 ("mixdown", mixdown), ("batch", batch),
                 ("cluster", cluster), ("rescore", rescore)]
