"""Check every sample call against its truth file.

    python verify.py [CALLS_DIR]

Needs only numpy, scipy and PyAV (works in .venv-samples or the product's .venv). For each
<stem>.truth.json it decodes the audio with PyAV and checks: channel count, sample rate (Ogg Opus
always decodes at 48 kHz), duration, that every utterance is loud on its own channel, that there
is nothing but the noise floor outside the utterances, and the intended effects (shouting level,
long silence, overlap). Exit status 1 if anything fails.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from scipy.signal import resample_poly

WIN = 0.05  # seconds, RMS window


def decode(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        st = c.streams.audio[0]
        chunks, rate = [], None
        for fr in c.decode(st):
            a = fr.to_ndarray()
            rate = fr.sample_rate
            nch = len(fr.layout.channels)
            if fr.format.is_planar:
                a = a.reshape(nch, -1).T
            else:
                a = a.reshape(-1, nch)
            if a.dtype == np.int16:
                a = a.astype(np.float32) / 32768.0
            elif a.dtype == np.int32:
                a = a.astype(np.float32) / 2147483648.0
            chunks.append(a.astype(np.float32))
    return np.concatenate(chunks), int(rate)


def win_db(x: np.ndarray, rate: int) -> np.ndarray:
    h = int(WIN * rate)
    n = len(x) // h
    r = np.sqrt(np.mean(x[: n * h].reshape(n, h).astype(np.float64) ** 2, axis=1) + 1e-12)
    return 20 * np.log10(r)


def seg_db(x: np.ndarray, rate: int, a: float, b: float) -> float:
    s = x[int(a * rate): int(b * rate)].astype(np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(s ** 2) + 1e-12)))


def check(truth_path: Path) -> list[str]:
    t = json.loads(truth_path.read_text(encoding="utf-8"))
    path = truth_path.parent / t["file"]
    errs: list[str] = []
    audio, rate = decode(path)
    want_rate = 48000 if t["format"] == "ogg-opus" else t["sample_rate"]
    if rate != want_rate:
        errs.append(f"decoded rate {rate} != {want_rate}")
    if audio.shape[1] != t["channels"]:
        errs.append(f"channels {audio.shape[1]} != {t['channels']}")
    dur = len(audio) / rate
    tol = 0.002  # mp3/opus trim their padding; AAC calls are cut to whole frames
    if abs(dur - t["duration_s"]) > tol:
        errs.append(f"duration {dur:.3f} != {t['duration_s']}")
    if rate != t["sample_rate"]:  # analyse at the nominal rate
        f = Fraction(t["sample_rate"], rate)
        audio = resample_poly(audio, f.numerator, f.denominator, axis=0)
        rate = t["sample_rate"]

    utts = t["utterances"]
    chan_of = (lambda u: 0 if u["speaker"] == "agent" else 1) if t["layout"] == "stereo" \
        else (lambda u: 0)
    info = []
    for ch in range(audio.shape[1]):
        x = audio[:, ch]
        mine = [u for u in utts if chan_of(u) == ch]
        # windows wholly outside this channel's utterances (+-60 ms) = noise only
        db = win_db(x, rate)
        centers = (np.arange(len(db)) + 0.5) * WIN
        inside = np.zeros(len(db), bool)
        for u in mine:
            pad = 0.06 + WIN / 2
            inside |= (centers > u["start"] - pad) & (centers < u["end"] + pad)
        floor = float(np.median(db[~inside])) if (~inside).any() else -60.0
        worst_out = float(db[~inside].max()) if (~inside).any() else floor
        if worst_out > floor + 8:
            i = int(np.argmax(np.where(~inside, db, -200)))
            errs.append(f"ch{ch}: energy outside utterances at {centers[i]:.2f}s "
                        f"({worst_out:.1f} dB, floor {floor:.1f})")
        for u in mine:
            lvl = seg_db(x, rate, u["start"], u["end"])
            if lvl < floor + 25:
                errs.append(f"ch{ch}: utterance at {u['start']} only {lvl:.1f} dB "
                            f"(floor {floor:.1f})")
            # the speech really starts at the stated start (lossy codecs may shift a little)
            seg = db[int(max(u["start"] - 0.2, 0) / WIN): int((u["start"] + 0.4) / WIN)]
            s0 = max(u["start"] - 0.2, 0)
            above = np.nonzero(seg > floor + 6)[0]
            if len(above) == 0 or abs(s0 + above[0] * WIN - u["start"]) > 0.12:
                errs.append(f"ch{ch}: onset of utterance at {u['start']} not found near it")
        info.append(f"ch{ch} floor {floor:.1f} dBFS")

    # intended effects
    agent = [u for u in utts if u["speaker"] == "agent"]
    ach = 0
    lv = {id(u): seg_db(audio[:, ach], rate, u["start"], u["end"]) for u in agent}
    normal = [lv[id(u)] for u in agent if u["voice"] == "agent"]
    shout = [lv[id(u)] for u in agent if u["voice"] == "shout"]
    if shout:
        jump = min(shout) - float(np.median(normal))
        info.append(f"shout +{jump:.1f} dB")
        if jump < 7:
            errs.append(f"shout only +{jump:.1f} dB over the agent's median")
    spans = sorted((u["start"], u["end"]) for u in utts)
    longest, overlap, reach = spans[0][0], 0.0, spans[0][1]
    for a, b in spans[1:]:
        longest = max(longest, a - reach)
        overlap = max(overlap, min(reach, b) - a)
        reach = max(reach, b)
    longest = max(longest, t["duration_s"] - reach)
    info.append(f"longest silence {longest:.2f}s, max overlap {max(overlap, 0):.2f}s")
    flags = set(t["expected_flags"])
    if ("long_silence" in flags) != (longest >= 10):
        errs.append(f"longest silence {longest:.2f}s does not match expected flags")
    if ("interruption" in flags) != (overlap >= 2.5):
        errs.append(f"overlap {overlap:.2f}s does not match expected flags")
    if not 15 <= t["duration_s"] <= 40:
        errs.append(f"duration {t['duration_s']} outside 15-40 s")
    print(f"{'FAIL' if errs else 'ok  '} {t['file']:48s} {dur:5.2f}s {rate}Hz "
          f"{audio.shape[1]}ch  " + "; ".join(info))
    for e in errs:
        print("     -", e)
    return errs


def main() -> int:
    d = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "calls"
    truths = sorted(d.glob("*.truth.json"))
    if not truths:
        print(f"no truth files in {d}")
        return 1
    bad = sum(bool(check(p)) for p in truths)
    audio = [p for p in d.iterdir() if not p.name.endswith(".json")]
    total = sum(p.stat().st_size for p in audio)
    print(f"{len(truths)} calls, {bad} failed, audio total {total / 1e6:.2f} MB")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
