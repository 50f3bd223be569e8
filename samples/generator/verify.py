"""Check every sample call against its truth file.

    python verify.py [CALLS_DIR]

Needs only numpy, scipy and PyAV (works in .venv-samples or the product's .venv). For each
<stem>.truth.json it decodes the audio with PyAV and checks: channel count, sample rate (Ogg Opus
always decodes at 48 kHz), duration, that every utterance is loud on its own channel, that there
is nothing but the noise floor outside the utterances, and the intended effects (shouting level,
long silence, overlap). Exit status 1 if anything fails.

Truth files with a "drawn" block (samples/varied) have drawn background noise and line echo, so
instead of "nothing outside the utterances" each utterance must stand 6 dB above the call's
background on its channel; their truth is also checked for consistency: the held-out split
against its rule, flags against the voices and steps, the outcome's due date re-resolved from
its words and the call's start, its amount re-read from the spoken numerals.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import re
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


# ----------------------------------------------------------------------------------------------
# the varied calls (samples/varied): truth files with a "drawn" block

CATEGORIES = {"abuse", "threat", "false_legal", "third_party_disclosure", "pii_leak", "new_loan",
              "impatience", "missing_greeting", "missing_self_identification",
              "missing_identity_verification", "disclosure_before_verification",
              "missing_closing", "speech_rate_fast", "shouting", "long_silence", "interruption"}
RESULTS = {"promise_to_pay", "no_promise", "refusal", "dispute", "wrong_party", "no_contact"}
STEP_FLAGS = {"greeting": "missing_greeting",
              "self_identification": "missing_self_identification",
              "identity_verification": "missing_identity_verification",
              "closing": "missing_closing"}
_D = {"零": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
      "八": 8, "九": 9}
_U = {"十": 10, "百": 100, "千": 1000}


def cn_to_int(s: str) -> int:
    """Chinese numerals to int, written independently of the generator's speller; knows the
    spoken short forms 一万二 (12000) and 三千五 (3500)."""
    m = re.fullmatch(r"(.+)万([一二三四五六七八九两])", s)
    if m:
        return cn_to_int(m.group(1)) * 10000 + _D[m.group(2)] * 1000
    m = re.fullmatch(r"([一二三四五六七八九两])千([一二三四五六七八九两])", s)
    if m:
        return _D[m.group(1)] * 1000 + _D[m.group(2)] * 100
    if "万" in s:
        hi, lo = s.split("万", 1)
        return cn_to_int(hi) * 10000 + (cn_to_int(lo) if lo else 0)
    total, digit = 0, None
    for ch in s:
        if ch in _D:
            digit = _D[ch]
        elif ch in _U:
            total += (1 if digit is None else digit) * _U[ch]
            digit = None
        else:
            raise ValueError(f"not a numeral: {s!r}")
    return total + (digit or 0)


def resolve_due(text: str, start: dt.date) -> dt.date:
    """Relative date words -> date, against the call's start (independent of the generator)."""
    t = text[:-1] if text.endswith("前") else text
    monday = start - dt.timedelta(days=start.weekday())
    if t in ("今天", "明天", "过两天"):
        return start + dt.timedelta(days={"今天": 0, "明天": 1, "过两天": 2}[t])
    m = re.fullmatch(r"这周([一二三四五六日天])", t)
    if m:
        return monday + dt.timedelta(days="一二三四五六日".index(m.group(1).replace("天", "日")))
    m = re.fullmatch(r"下周([一二三四五六日])", t)
    if m:
        return monday + dt.timedelta(days=7 + "一二三四五六日".index(m.group(1)))
    if t == "月底":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    m = re.fullmatch(r"本月(.+)号", t)
    if m:
        return start.replace(day=cn_to_int(m.group(1)))
    m = re.fullmatch(r"下个?月(.+)号", t)
    if m:
        y, mo = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return dt.date(y, mo, cn_to_int(m.group(1)))
    m = re.fullmatch(r"(.+)月(.+)[日号]", t)
    if m:
        d = dt.date(start.year, cn_to_int(m.group(1)), cn_to_int(m.group(2)))
        return d if d >= start else d.replace(year=start.year + 1)
    m = re.fullmatch(r"(.+)号", t)
    if m:
        return start.replace(day=cn_to_int(m.group(1)))
    raise ValueError(f"cannot resolve {text!r}")


def varied_split(stem: str, stems: list[str]) -> str:
    """The rule of samples/varied/README.md, re-implemented here."""
    group = stem.rsplit("_", 1)[0]
    same = sorted((s for s in stems if s.rsplit("_", 1)[0] == group),
                  key=lambda s: hashlib.sha256(s.encode()).hexdigest())
    return ("heldout", "tuning")[same.index(stem) % 2]


def truth_errors(t: dict, stem: str, stems: list[str]) -> list[str]:
    errs = []
    if t.get("split") == "dev":  # dev.py's stems (<group>_dev<k>), outside the two halves
        if not re.search(r"_dev\d+$", stem):
            errs.append("split dev on a stem that is not <group>_dev<k>")
    elif re.fullmatch(r"dev\d", str(t.get("split"))):  # dev.py --round N (<group>_dv<N>k<k>)
        if not re.search(rf"_dv{t['split'][3:]}k\d+$", stem):
            errs.append(f"split {t['split']} on a stem that is not <group>_dv{t['split'][3:]}k<k>")
    elif t.get("split") != varied_split(stem, stems):
        errs.append(f"split {t.get('split')} != rule's {varied_split(stem, stems)}")
    utts = t["utterances"]
    if [u["start"] for u in utts] != sorted(u["start"] for u in utts):
        errs.append("utterances not in start order")
    for u in utts:
        if not (0 <= u["start"] < u["end"] <= t["duration_s"]):
            errs.append(f"utterance {u['start']}-{u['end']} outside the call")
        if u["speaker"] not in ("agent", "customer"):
            errs.append(f"bad speaker {u['speaker']}")
    flags = set(t["expected_flags"])
    if flags - CATEGORIES:
        errs.append(f"unknown flags {sorted(flags - CATEGORIES)}")
    if t["layout"] == "mono" and "interruption" in flags:
        errs.append("interruption expected on a mono call")
    want_ch = 2 if t["layout"] == "stereo" else 1
    if t["layout"] != t["drawn"]["layout"] or t["channels"] != want_ch:
        errs.append("layout / channels disagree with what was drawn")
    codec = t["drawn"]["codec"]
    if t["sample_rate"] != codec["rate"] or t["format"] != codec["format"]:
        errs.append("rate / format disagree with the drawn codec")
    agent_voices = {u["voice"] for u in utts if u["speaker"] == "agent"}
    if ("speech_rate_fast" in flags) != ("fast" in agent_voices):
        errs.append("speech_rate_fast flag and fast agent turns disagree")
    if ("shouting" in flags) != ("shout" in agent_voices):
        errs.append("shouting flag and shouted agent turns disagree")
    for step, flag in STEP_FLAGS.items():
        if (flag in flags) == t["expected_steps"][step]:
            errs.append(f"{flag} flag and step {step} disagree")
    o = t["outcome"]
    text = "".join(u["text"] for u in utts)
    if o["result"] not in RESULTS or o["emotion"] not in ("calm", "upset", "hostile"):
        errs.append(f"bad outcome {o}")
    start = dt.datetime.fromisoformat(t["call_start"]).date()
    if o["result"] == "promise_to_pay":
        try:
            due = resolve_due(o["due_text"], start)
            if due.isoformat() != o["due"]:
                errs.append(f"due {o['due']} but {o['due_text']} from {start} is {due}")
            if due < start:
                errs.append("due before the call")
        except (ValueError, TypeError) as e:
            errs.append(str(e))
        if o["due_text"] not in text:
            errs.append(f"due_text {o['due_text']} not spoken")
        if o["amount_text"] is None:
            if o["amount"] != t["slots"]["outstanding"]:
                errs.append("an 'all of it' promise must be the outstanding amount")
        else:
            if o["amount_text"] not in text:
                errs.append(f"amount_text {o['amount_text']} not spoken")
            if cn_to_int(re.sub(r"[元块]$", "", o["amount_text"])) != o["amount"]:
                errs.append(f"amount_text {o['amount_text']} is not {o['amount']}")
        if o["installments"] and "期" not in text:
            errs.append("instalments in the outcome but no 期 in the call")
    elif any(o[k] is not None for k in ("amount", "due", "installments")):
        errs.append(f"{o['result']} with an amount / due / installments")
    if o["result"] == "no_contact" and any(u["speaker"] == "customer" for u in utts):
        errs.append("no_contact but the customer speaks")
    if o.get("demanded_due_text"):
        resolve_due(o["demanded_due_text"], start)
        if o["demanded_due_text"] not in text or o["result"] == "promise_to_pay":
            errs.append("demanded date not spoken, or it became a promise")
    return errs


# How far a varied call's decoded length may be from its truth: a call is cut to its truth's
# length to the sample, which a PCM or Opus file keeps; an MP3 decoder trims the encoder's
# priming and padding only as far as the file's gapless header says, which leaves a few
# milliseconds either way (4 ms seen on an 8 kHz call).
DURATION_TOL_S = {"mp3": 0.010}


def check_varied(truth_path: Path, stems: list[str]) -> list[str]:
    t = json.loads(truth_path.read_text(encoding="utf-8"))
    path = truth_path.parent / t["file"]
    errs = truth_errors(t, truth_path.name.removesuffix(".truth.json"), stems)
    audio, rate = decode(path)
    want_rate = 48000 if t["format"] == "ogg-opus" else t["sample_rate"]
    if rate != want_rate:
        errs.append(f"decoded rate {rate} != {want_rate}")
    if audio.shape[1] != t["channels"]:
        errs.append(f"channels {audio.shape[1]} != {t['channels']}")
    dur = len(audio) / rate
    if abs(dur - t["duration_s"]) > DURATION_TOL_S.get(t["format"], 0.002):
        errs.append(f"duration {dur:.3f} != {t['duration_s']}")
    if rate != t["sample_rate"]:
        f = Fraction(t["sample_rate"], rate)
        audio = resample_poly(audio, f.numerator, f.denominator, axis=0)
        rate = t["sample_rate"]
    utts = t["utterances"]
    stereo = t["layout"] == "stereo"
    info = []
    for ch in range(audio.shape[1]):
        x = audio[:, ch]
        db = win_db(x, rate)
        centers = (np.arange(len(db)) + 0.5) * WIN
        busy = np.zeros(len(db), bool)
        for u in utts:  # background = windows away from everybody's speech
            busy |= (centers > u["start"] - 0.3) & (centers < u["end"] + 0.3 + 0.3)
        floor = float(np.median(db[~busy])) if (~busy).any() else -60.0
        mine = [u for u in utts if not stereo or (u["speaker"] == "agent") == (ch == 0)]
        for u in mine:
            lvl = seg_db(x, rate, u["start"], u["end"])
            if lvl < floor + 6:
                errs.append(f"ch{ch}: utterance at {u['start']} only {lvl:.1f} dB "
                            f"(background {floor:.1f})")
        info.append(f"ch{ch} bg {floor:.1f}")
    agent = [u for u in utts if u["speaker"] == "agent"]
    lv = [(u["voice"], seg_db(audio[:, 0], rate, u["start"], u["end"])) for u in agent]
    normal = [v for k, v in lv if k != "shout"]
    shout = [v for k, v in lv if k == "shout"]
    if shout:
        jump = min(shout) - float(np.median(normal))
        info.append(f"shout +{jump:.1f} dB")
        if jump < 6:
            errs.append(f"shout only +{jump:.1f} dB over the agent's median")
    spans = sorted((u["start"], u["end"]) for u in utts)
    longest, overlap, reach = spans[0][0], 0.0, spans[0][1]
    for a, b in spans[1:]:
        longest = max(longest, a - reach)
        overlap = max(overlap, min(reach, b) - a)
        reach = max(reach, b)
    longest = max(longest, t["duration_s"] - reach)
    flags = set(t["expected_flags"])
    if ("long_silence" in flags) != (longest >= 10):
        errs.append(f"longest silence {longest:.2f}s does not match expected flags")
    if ("interruption" in flags) != (overlap >= 2.5):
        errs.append(f"overlap {overlap:.2f}s does not match expected flags")
    if not 15 <= t["duration_s"] <= 42:
        errs.append(f"duration {t['duration_s']} outside 15-42 s")
    print(f"{'FAIL' if errs else 'ok  '} {t['file']:28s} {dur:5.2f}s {rate}Hz {audio.shape[1]}ch "
          f"{t['split']:7s} " + "; ".join(info))
    for e in errs:
        print("     -", e)
    return errs


def main() -> int:
    d = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "calls"
    truths = sorted(d.glob("*.truth.json"))
    if not truths:
        print(f"no truth files in {d}")
        return 1
    stems = [p.name.removesuffix(".truth.json") for p in truths]
    bad = sum(bool(check_varied(p, stems) if '"drawn"' in p.read_text(encoding="utf-8")
                   else check(p)) for p in truths)
    audio = [p for p in d.iterdir() if not p.name.endswith(".json")]
    total = sum(p.stat().st_size for p in audio)
    print(f"{len(truths)} calls, {bad} failed, audio total {total / 1e6:.2f} MB")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
