"""The product's transcription against plain faster-whisper, side by side, on real speech.

Decodes every clip of ../shared/realzh and ../shared/realzh-aishell twice with one loaded model:
through the product (find_pieces + Transcriber.decode, as `auditor check` hears a mono call) and
through plain ``WhisperModel.transcribe(language="zh")`` with its defaults (the file read
through FFmpeg's resampler as faster-whisper reads it); once at the clips' own
rate and once as a telephone line (resampled to 8 kHz and encoded G.711 mu-law, made here in a
temporary directory). Prints, per corpus, per split and overall: the character error rate (both
sides simplified, punctuation removed, Arabic digits and 幺/一/两 mapped to one set of numerals,
as realzh-aishell's README asks), the share of digit strings of 7 or more digits recovered
exactly, the real-time factor and the CPU seconds per second of audio (process time, all
threads: on a shared machine the wall time says more about the neighbours than the decoder).

The held-out split was fixed before any result was looked at: a clip is held out when the sha1
of its file stem is odd. Tune on the rest; report both.

Run alone with ``python -m bench.asr_compare`` (``--product-only`` skips the plain decoding,
``--rates 16k`` one rate, ``--limit N`` the first N clips of each corpus, ``--split tuning`` or
``held-out`` one half, ``--no-fallback-too`` also the product without temperature fallback,
``--match TEXT`` only clips whose name contains TEXT, ``--digits`` only clips whose reference
holds a digit string, ``--per-clip`` lists the tuning clips where the systems' error counts
differ (held-out clips never), ``--set key=value`` overrides a [decode]/[vad]/[utterances]
setting of the product for the run, ``--json FILE`` writes the per-clip results,
``--from-json FILE`` scores such a file again without decoding); `make bench` runs it through
bench.bench.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
def _shared() -> Path:
    """../shared beside the checkout (a worktree sits one level deeper: ../../shared)."""
    if os.environ.get("AUDITOR_SHARED"):
        return Path(os.environ["AUDITOR_SHARED"])
    for up in (ROOT.parent, ROOT.parent.parent):
        if (up / "shared").is_dir():
            return up / "shared"
    return ROOT.parent / "shared"


SHARED = _shared()
CORPORA = ("realzh", "realzh-aishell")
RATES = ("16k", "8k-ulaw")
DIGIT_RUN = 7

_NUMERAL = {"0": "零", "1": "幺", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六",
            "7": "七", "8": "八", "9": "九", "一": "幺", "两": "二", "〇": "零"}
_DIGITS = re.compile("[零幺二三四五六七八九]{" + str(DIGIT_RUN) + ",}")


# A two- or three-digit Arabic number standing alone (not a group of a longer number, not a
# year, no leading zero) is a quantity, and a quantity is read as one: "29度" is said 二十九度.
_QUANTITY = re.compile(r"(?<![0-9.,:/\-])[1-9][0-9]{1,2}(?![0-9.,:/\-]|年)")
_UNITS = "零一二三四五六七八九"


def cardinal(number: int) -> str:
    """The spoken reading of 10..999 in Chinese numerals (29: 二十九, 305: 三百零五)."""
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    out = _UNITS[hundreds] + "百" if hundreds else ""
    if tens:
        out += ("" if tens == 1 and not hundreds else _UNITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"
    return out + (_UNITS[ones] if ones else "")


def normalise(text: str) -> str:
    """Simplified, punctuation-free text with every digit written one way (幺 for 1), and a
    lone two- or three-digit number written as it is read (a quantity, not digit by digit)."""
    from bench.cer import normalise as base

    spoken = _QUANTITY.sub(lambda m: cardinal(int(m.group(0))), text)
    return "".join(_NUMERAL.get(ch, ch) for ch in base(spoken))


def digit_strings(text: str) -> list[str]:
    """The runs of at least DIGIT_RUN digits in normalised text."""
    return _DIGITS.findall(text)


def held_out(name: str) -> bool:
    """The fixed held-out split: the sha1 of the clip's stem is odd."""
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 2 == 1


SPLITS = ("all", "tuning", "held-out")


def clips(limit: int | None = None, split: str = "all", match: str = "",
          digits: bool = False) -> list[tuple[str, Path]]:
    """(corpus, wav) for every clip of `split` that has a reference transcript (at most
    `limit` per corpus), whose name contains `match`, and (with `digits`) whose reference
    holds a digit string."""
    out = []
    for corpus in CORPORA:
        folder = SHARED / corpus
        wavs = [w for w in sorted(folder.glob("*.wav")) if w.with_suffix(".txt").is_file()
                and (split == "all" or held_out(w.stem) == (split == "held-out"))
                and match in w.stem]
        if digits:
            wavs = [w for w in wavs if digit_strings(
                normalise(w.with_suffix(".txt").read_text(encoding="utf-8")))]
        out.extend((corpus, w) for w in wavs[:limit])
    return out


def override(settings, assignments: list[str]):
    """`settings` (AsrSettings) with each "key=value" replaced; a key of [vad]/[utterances]
    goes to settings.vad. Values are parsed as TOML scalars."""
    from dataclasses import fields, replace

    import tomllib

    top, vad = {}, {}
    vad_keys = {f.name for f in fields(settings.vad)}
    for item in assignments:
        key, _, raw = item.partition("=")
        value = tomllib.loads(f"v = {raw}")["v"]
        if key in vad_keys:
            vad[key] = value
        elif key in {f.name for f in fields(settings)}:
            top[key] = value
        else:
            raise SystemExit(f"unknown setting {key!r}")
    return replace(settings, vad=replace(settings.vad, **vad), **top)


def telephone_copy(wav: Path, folder: Path) -> Path:
    """`wav` as an 8 kHz G.711 mu-law file in `folder` (a simulated telephone line)."""
    import librosa
    import soundfile as sf

    samples, rate = sf.read(str(wav), dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    out = folder / f"{wav.stem}.wav"
    sf.write(str(out), librosa.resample(samples, orig_sr=rate, target_sr=8000), 8000,
             subtype="ULAW")
    return out


def product_text(auditor, path: Path, transcriber=None) -> tuple[str, list]:
    """The product's text of one recording (all pieces in time order) and its pieces
    (decoded by `transcriber`, by default the auditor's)."""
    from auditor.audio.decode import decode
    from auditor.pipeline import find_pieces, speech_audio
    from auditor.speakers.features import voice_frames

    audio = decode(path)
    heard = speech_audio(audio, auditor.asr_settings)
    frames = voice_frames(audio.samples[0], audio.sample_rate) if audio.channels == 1 else None
    pieces = find_pieces(heard, auditor.asr_settings, frames)
    (transcriber or auditor.transcriber).decode(heard.samples, pieces)
    ordered = sorted(pieces, key=lambda p: (p.region[0], p.channel))
    return "".join(p.text for p in ordered), pieces


def ffmpeg_audio(path: Path) -> np.ndarray:
    """The first channel of `path` at 16 kHz through FFmpeg's own resampler (PyAV), as
    faster-whisper's decode_audio reads a file (float, not its 16-bit integers: the plain
    side of earlier rounds, read by the product's decoder before it resampled with soxr)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=16000)
        parts = [out.to_ndarray()[0] for frame in container.decode(stream)
                 for out in resampler.resample(frame)]
        parts += [out.to_ndarray()[0] for out in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32)


def plain_text(model, path: Path) -> str:
    """Plain faster-whisper with its defaults (language fixed to Mandarin), the file read as
    faster-whisper reads it (FFmpeg's resampler, not the product's)."""
    segments, _info = model.transcribe(ffmpeg_audio(path), language="zh")
    return "".join(s.text for s in segments)


def score(ref: str, hyp: str) -> dict[str, int]:
    """Edit distance, reference length and digit strings (total, exact) of one clip."""
    from bench.cer import edit_distance

    r, h = normalise(ref), normalise(hyp)
    runs = digit_strings(r)
    return {"errors": edit_distance(r, h), "chars": len(r), "digits": len(runs),
            "digits_ok": sum(1 for d in runs if d in h)}


def run(auditor, systems: tuple[str, ...], rates: tuple[str, ...], limit: int | None = None,
        split: str = "all", match: str = "", digits: bool = False) -> list[dict[str, Any]]:
    """Decode every clip with every system at every rate; one row per decoding."""
    import soundfile as sf

    rows = []
    no_fallback = None
    if "product-nofb" in systems:  # the product with its temperature fallback switched off
        from dataclasses import replace

        from auditor.asr.transcribe import Transcriber

        no_fallback = Transcriber(auditor.transcriber.model,
                                  replace(auditor.asr_settings, fallback_tries=0))
    with tempfile.TemporaryDirectory(prefix="asr-compare-") as tmp:
        for rate in rates:
            for corpus, wav in clips(limit, split, match, digits):
                path = wav if rate == "16k" else telephone_copy(wav, Path(tmp))
                duration = sf.info(str(path)).duration
                ref = wav.with_suffix(".txt").read_text(encoding="utf-8").strip()
                for system in systems:
                    t0, c0 = time.perf_counter(), time.process_time()
                    if system == "product":
                        hyp, _ = product_text(auditor, path)
                    elif system == "product-nofb":
                        hyp, _ = product_text(auditor, path, no_fallback)
                    else:
                        hyp = plain_text(auditor.transcriber.model, path)
                    seconds = time.perf_counter() - t0
                    cpu = time.process_time() - c0
                    rows.append({"corpus": corpus, "clip": wav.stem, "rate": rate,
                                 "system": system, "held_out": held_out(wav.stem),
                                 "seconds": seconds, "cpu_s": cpu, "duration": duration,
                                 "hyp": hyp,
                                 **score(ref, hyp)})
    return rows


def per_clip(rows: list[dict[str, Any]]) -> list[str]:
    """One block per tuning clip and rate where the systems made different numbers of errors
    (most lost by the product first): reference and each system's normalised text.

    Held-out clips are never listed one by one (they are only ever read as the aggregate)."""
    by: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        if not r["held_out"]:
            by.setdefault((r["rate"], r["corpus"], r["clip"]), {})[r["system"]] = r
    blocks = []
    for (rate, corpus, clip), systems in by.items():
        product = systems.get("product")
        others = [r for name, r in systems.items() if name != "product"]
        if product is None or all(r["errors"] == product["errors"] for r in others):
            continue
        worse = product["errors"] - min(r["errors"] for r in others)
        ref = normalise((SHARED / corpus / f"{clip}.txt").read_text(encoding="utf-8"))
        lines = [f"{worse:+d} {rate} {clip} ({product['duration']:.1f} s)", f"  reference    {ref}"]
        lines += [f"  {r['system']:<12} {normalise(r['hyp'])} ({r['errors']} errors)"
                  for r in (product, *others)]
        blocks.append((-worse, rate, clip, "\n".join(lines)))
    return [b[-1] for b in sorted(blocks)]


def rescore(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of an earlier run (`--json`) scored again against the references with this code's
    normalisation, without decoding anything."""
    out = []
    for r in rows:
        ref = (SHARED / r["corpus"] / f"{r['clip']}.txt").read_text(encoding="utf-8").strip()
        out.append({**r, **score(ref, r["hyp"])})
    return out


def summarise(rows: list[dict[str, Any]]) -> dict[str, float]:
    """CER, digit-string share, RTF (wall) and CPU seconds per audio second (all threads of
    the process: the figure that does not depend on what else the machine runs)."""
    chars = sum(r["chars"] for r in rows)
    digits = sum(r["digits"] for r in rows)
    audio = sum(r["duration"] for r in rows)
    return {
        "cer": sum(r["errors"] for r in rows) / chars if chars else float("nan"),
        "digits_ok": sum(r["digits_ok"] for r in rows), "digits": digits,
        "digit_share": sum(r["digits_ok"] for r in rows) / digits if digits else float("nan"),
        "rtf": sum(r["seconds"] for r in rows) / audio if audio else float("nan"),
        "cpu_rtf": sum(r.get("cpu_s", 0.0) for r in rows) / audio if audio else float("nan"),
        "clips": len(rows),
    }


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the side-by-side table; return the overall figures per rate and system."""
    systems = sorted({r["system"] for r in rows},
                     key=("product", "product-nofb", "plain").index)
    rates = [r for r in RATES if any(x["rate"] == r for x in rows)]
    groups = [("all", lambda r: True), ("tuning", lambda r: not r["held_out"]),
              ("held-out", lambda r: r["held_out"])]
    groups += [(c, lambda r, c=c: r["corpus"] == c) for c in CORPORA]
    print(f"{'rate':<9} {'set':<15} {'system':<12} {'clips':>5} {'CER':>6} "
          f"{'digits exact':>13} {'RTF':>6} {'CPU/s':>6}")
    summary: dict[str, Any] = {}
    for rate in rates:
        for name, keep in groups:
            for system in systems:
                part = [r for r in rows if r["rate"] == rate and r["system"] == system
                        and keep(r)]
                if not part:
                    continue
                s = summarise(part)
                share = (f"{s['digits_ok']}/{s['digits']} {s['digit_share']:4.0%}"
                         if s["digits"] else "-")
                print(f"{rate:<9} {name:<15} {system:<12} {s['clips']:5d} {s['cer']:6.3f} "
                      f"{share:>13} {s['rtf']:6.3f} {s['cpu_rtf']:6.3f}")
                summary[f"{rate}/{name}/{system}"] = {k: round(v, 3) if isinstance(v, float)
                                                      else v for k, v in s.items()}
        if "plain" in systems and "product" in systems:
            for name in ("all", "tuning", "held-out"):
                p, q = summary.get(f"{rate}/{name}/product"), summary.get(f"{rate}/{name}/plain")
                if p and q and q["cer"]:
                    print(f"{rate:<9} {name:<15} product/plain CER {p['cer'] / q['cer']:.2f} "
                          f"(target <= 0.90), digits "
                          f"{100 * (p['digit_share'] - q['digit_share']):+.0f} points "
                          "(target >= +15)")
    return summary


def bench_compare(auditor, _results=None) -> dict[str, Any]:
    """bench.bench's section: the full side-by-side run."""
    if not all((SHARED / c).is_dir() for c in CORPORA):
        print(f"\n(no real recordings under {SHARED}; product-vs-plain comparison skipped)")
        return {}
    print("\n== Product against plain faster-whisper on real speech (16 kHz and 8 kHz mu-law) ==")
    summary = report(run(auditor, ("product", "plain"), RATES))
    t = auditor.transcriber
    print(f"product windows decoded {t.windows_decoded}, decoded again with the digit prompt "
          f"{t.digit_redecodes}")
    keep = {k: v for k, v in summary.items() if "/all/" in k or "held-out" in k}
    keep["digit_redecodes"] = {"windows": t.windows_decoded, "again": t.digit_redecodes}
    return {"asr_compare": keep}


def main(argv: list[str] | None = None) -> None:
    from auditor.pipeline import Auditor

    parser = argparse.ArgumentParser(prog="python -m bench.asr_compare", description=__doc__)
    parser.add_argument("--product-only", action="store_true")
    parser.add_argument("--rates", default=",".join(RATES))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-fallback-too", action="store_true",
                        help="also decode through the product with temperature fallback off")
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="decode only the tuning or only the held-out clips")
    parser.add_argument("--match", default="", help="only clips whose name contains this")
    parser.add_argument("--digits", action="store_true",
                        help="only clips whose reference holds a digit string")
    parser.add_argument("--per-clip", action="store_true",
                        help="list the tuning clips where the systems' error counts differ")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override an asr.toml setting of the product for this run")
    parser.add_argument("--from-json", type=Path, default=None, metavar="FILE",
                        help="score the texts of an earlier --json run again, decoding nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        rows = rescore(json.loads(args.from_json.read_text(encoding="utf-8")))
        if args.per_clip:
            print("\n".join(per_clip(rows)))
        report(rows)
        return
    auditor = Auditor(threads=2)
    if args.set:
        auditor.asr_settings = override(auditor.asr_settings, args.set)
    t0 = time.perf_counter()
    _ = auditor.transcriber
    print(f"model {auditor.model_name} loaded in {time.perf_counter() - t0:.1f} s")
    systems = ("product",) if args.product_only else ("product", "plain")
    if args.no_fallback_too:
        systems += ("product-nofb",)
    rows = run(auditor, systems, tuple(args.rates.split(",")), args.limit, args.split,
               args.match, args.digits)
    t = auditor.transcriber
    print(f"product windows decoded {t.windows_decoded}, decoded again with the digit prompt "
          f"{t.digit_redecodes}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.per_clip:
        blocks = per_clip(rows)
        print(f"{len(blocks)} tuning clip decodings where the systems differ "
              "(+N: the product made N more errors):")
        print("\n".join(blocks))
    report(rows)


if __name__ == "__main__":
    main()
