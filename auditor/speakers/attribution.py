"""Agent / customer attribution for mono recordings.

Three signals, none enough alone: the *voices* (per-utterance MFCC means and median pitch,
clustered into two speakers), the *roles* (the agent greets, asks 请问是…本人吗, names an
institution and a 工号, reads plans back …对吗; the customer answers 是我/嗯/我没钱, proposes
15号还 / 这周六吧) and the *turn-taking* (after a question the other party speaks; a piece the
VAD cut mid-sentence, ending with a comma, goes on with the same voice). Voices say which
utterances go together; role cues and turn rules from ``config/roles.toml`` say which is the
agent. The text is ASR output: cues also match on fuzzy toneless pinyin (征信 → 真信, 欠款 →
千款), and the voices count only as far as they agree with the text on both sides, since two
similar voices (or one voice) cluster into noise.

Pure core: numpy arrays and utterance dicts in, utterance dicts out. Acoustic features come
from librosa only (mel-cepstrum and ``librosa.yin``), clustering is a weighted two-means in
numpy; no model download. Cost is a few hundred ms per minute of audio.

Public API (used by the pipeline for mono calls):

- ``split_at_speaker_changes(samples, sr, regions)``: cut VAD stretches where the voice changes,
  so one decoded stretch never holds both voices.
- ``attribute(samples, sr, utterances)``: label utterances agent / customer / unknown and return a
  per-call confidence in [0, 1] (``attribution_confidence`` in the scorecard).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from auditor.core import config
from auditor.core.config import AnyKeys, Key

ROLES_PATH = config.CONFIG_DIR / "roles.toml"
# The keys of roles.toml, their types and ranges; the values live only in the file.
_CUES = {"pinyin_min_chars": Key(int, low=1), "phrases": AnyKeys(Key(float)),
         "patterns": AnyKeys(Key(float), regex_keys=True)}
_PROBABILITY = Key(float, low=0, high=1)
ROLES_SCHEMA = {
    "prior": {"first_speaker_agent": Key(float), "utterance_cue_weight": Key(float, low=0)},
    "turns": {"change": _PROBABILITY, "after_question": _PROBABILITY,
              "continuation": _PROBABILITY, "continuation_gap_s": Key(float, low=0),
              "touching": _PROBABILITY, "touch_gap_s": Key(float, low=0),
              "question_patterns": Key(list, regex=True)},
    "agent": _CUES,
    "customer": _CUES,
}

FRAME_RATE = 50  # analysis frames per second (20 ms hop): enough for speaker statistics
N_MFCC = 14  # c1..c13 are used (c0 is loudness, which says little about who speaks)
F0_MIN, F0_MAX = 70.0, 420.0

# Decisions on utterances.
MIN_ITEMS = 4  # fewer utterances with audible speech than this: no voice evidence at all
LLR_CAP = 8.0
SHORT_TAU_S = 0.5  # acoustic evidence of an utterance is shrunk by dur / (dur + tau)
DECIDE = 1.0  # |log-odds| needed to name a speaker; below it the utterance stays unknown
TEXT_ONLY_DECIDE = 1.5  # with no usable voice evidence, only clear text + turns name one
MIN_CONFIDENT_SPEECH_S = 20.0  # shorter calls get proportionally lower confidence

# Speaker-change detection inside VAD stretches (conservative: do not over-split).
WIN_S, WIN_HOP_S = 1.0, 0.25
SPLIT_SEP_MIN = 1.5  # excess d' on windows below this: not clearly two voices, no splits
SPLIT_MIN_PART_S = 0.8  # each side of a cut holds at least this much
SPLIT_MIN_LLR = 2.0  # mean window log-odds on each side of a cut
SPLIT_REFINE_S = 0.3  # a cut moves to the quietest frame within this distance


# --------------------------------------------------------------------------- frame features


@dataclass
class _Frames:
    """Frame-level features of one call (FRAME_RATE frames per second)."""

    mfcc: np.ndarray  # (T, N_MFCC - 1), c1..c13
    energy_db: np.ndarray  # (T,)
    semitones: np.ndarray  # (T,) pitch in semitones re 100 Hz, NaN where not voiced
    gate_db: float  # frames quieter than this are ignored (pauses, line noise)


_CACHE: dict[str, Any] = {}


def _fingerprint(y: np.ndarray, sr: int) -> tuple:
    """Cheap identity of a signal, so split + attribute on one call compute features once."""
    step = max(1, y.size // 4096)
    return (y.shape, sr, y.ctypes.data, float(np.asarray(y[::step], dtype=np.float64).sum()))


def _frames(samples: np.ndarray, sr: int) -> _Frames:
    """Mel-cepstrum, frame energy and voiced pitch for the whole signal (computed once)."""
    import librosa

    y = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).reshape(-1))
    key = _fingerprint(y, sr)
    if _CACHE.get("key") == key:
        return _CACHE["frames"]
    hop = max(1, sr // FRAME_RATE)
    n_fft = 512 if sr <= 16000 else 1024
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=40, fmin=60.0, fmax=min(7600.0, sr / 2)
    )
    mel_db = librosa.power_to_db(mel + 1e-10, ref=1.0)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC)[1:].T
    energy_db = 10.0 * np.log10(mel.sum(axis=0) + 1e-10)
    frame_len = max(2 * hop, int(2 ** math.ceil(math.log2(2.2 * sr / F0_MIN))))
    f0 = librosa.yin(y, fmin=F0_MIN, fmax=F0_MAX, sr=sr, frame_length=frame_len, hop_length=hop)
    n = min(len(energy_db), len(f0), mfcc.shape[0])
    mfcc, energy_db, f0 = mfcc[:n], energy_db[:n], f0[:n]
    loud = np.percentile(energy_db, 95) if n else 0.0
    gate = float(max(loud - 35.0, np.percentile(energy_db, 10) + 6.0)) if n else 0.0
    frames = _Frames(mfcc, energy_db, _voiced_semitones(f0, energy_db, gate), gate)
    _CACHE.clear()
    _CACHE.update(key=key, frames=frames)
    return frames


def _voiced_semitones(f0: np.ndarray, energy_db: np.ndarray, gate: float) -> np.ndarray:
    """Pitch in semitones where it looks voiced: loud enough, inside the range, and continuous.

    ``librosa.yin`` returns a value for every frame; on noise and consonants it jumps around, so
    a frame counts only when its neighbours agree within a semitone (cheaper than pyin).
    """
    st = 12.0 * np.log2(np.maximum(f0, 1e-3) / 100.0)
    ok = (energy_db > gate + 6.0) & (f0 > F0_MIN * 1.05) & (f0 < F0_MAX * 0.95)
    d_prev = np.abs(np.diff(st, prepend=np.inf))
    d_next = np.abs(np.diff(st, append=np.inf))
    ok &= (d_prev < 1.0) & (d_next < 1.0)
    return np.where(ok, st, np.nan)


def _embed(fr: _Frames, start: float, end: float) -> tuple[np.ndarray, float] | None:
    """Voice vector of a time span and its gated speech seconds (None if too little speech).

    Layout (see ``_IDX``): pitch 10th/50th/90th percentile in semitones (register and range),
    median level in dB (near and far end of a line rarely match), mean c1..c13 (timbre, line).
    """
    a = max(0, int(round(start * FRAME_RATE)))
    b = min(len(fr.energy_db), int(round(end * FRAME_RATE)))
    if b - a < 5:
        return None
    e = fr.energy_db[a:b]
    keep = e > max(fr.gate_db, float(e.max()) - 30.0)
    if keep.sum() < 5:
        return None
    st = fr.semitones[a:b][keep]
    st = st[~np.isnan(st)]
    pitch = np.percentile(st, [10, 50, 90]) if st.size >= 5 else np.full(3, np.nan)
    level = float(np.median(e[keep]))
    vec = np.concatenate([pitch, [level], fr.mfcc[a:b][keep].mean(axis=0)])
    return vec, float(keep.sum()) / FRAME_RATE


_IDX = {"pitch": slice(0, 3), "level": slice(3, 4), "mfcc": slice(4, 4 + N_MFCC - 1)}


# --------------------------------------------------------------------------- clustering


@dataclass
class _VoiceModel:
    """Two clusters of voice vectors and the line that separates them."""

    center: np.ndarray
    scale: np.ndarray
    direction: np.ndarray  # unit vector from cluster 0 to cluster 1 (standardised space)
    m0: float
    m1: float
    sd: float
    dprime: float
    dprime_null: float = 0.0

    @property
    def excess(self) -> float:
        """How far d' exceeds what one voice would give (ratio; > 1 means two voices)."""
        return self.dprime / self.dprime_null if self.dprime_null > 0 else float("inf")

    def llr(self, vec: np.ndarray) -> float:
        """Log-odds that a vector belongs to cluster 1 rather than 0 (equal-variance Gaussians)."""
        z = _standardise(vec[None, :], self.center, self.scale)[0]
        p = float(z @ self.direction)
        out = (self.m1 - self.m0) / self.sd**2 * (p - (self.m0 + self.m1) / 2)
        return float(np.clip(out, -LLR_CAP, LLR_CAP))


def _standardise(x: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Z-score each column, missing pitch counts as average, then weight pitch vs timbre.

    Pitch has three columns and timbre thirteen; each block gets about equal weight so that a
    pitch difference (same timbre) and a timbre difference (same pitch) can both split voices.
    """
    z = (x - center) / scale
    z = np.where(np.isnan(z), 0.0, z)
    weights = np.ones(x.shape[1])
    weights[_IDX["pitch"]] = 1.0 / math.sqrt(3)
    weights[_IDX["level"]] = 0.5
    weights[_IDX["mfcc"]] = 1.2 / math.sqrt(N_MFCC - 1)
    return z * weights


def _fit_voices(x: np.ndarray, w: np.ndarray, null_runs: int = 12) -> _VoiceModel | None:
    """Two voice clusters, and how much better they separate than one voice would.

    k-means always finds two groups, and with few utterances in 14 dimensions even one voice
    splits with a sizeable d'. So d' is compared with the d' that the same procedure gives on
    single-Gaussian data of the same size and covariance (a parametric null, like the gap
    statistic): ``dprime_null`` is its upper range.
    """
    n = x.shape[0]
    if n < 2:
        return None
    center = np.array([_wmean(col, w) for col in x.T])
    scale = np.array([math.sqrt(_wvar(col, w)) for col in x.T])
    center = np.where(np.isnan(center), 0.0, center)
    scale = np.where(~np.isfinite(scale) | (scale < 1e-6), 1.0, scale)
    z = _standardise(x, center, scale)
    fit = _split(z, w)
    if fit is None:
        return None
    u, m0, m1, sd = fit
    dprime = abs(m1 - m0) / sd
    null = _null_dprime(z, w, null_runs) if null_runs else 0.0
    return _VoiceModel(center, scale, u, m0, m1, sd, dprime, null)


def _split(z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float, float, float] | None:
    """Best weighted two-means partition: (unit direction, mean 0, mean 1, pooled sd)."""
    best: tuple[float, np.ndarray] | None = None
    for init in _initial_splits(z, w):
        labels = _two_means(z, w, init)
        if labels is None:
            continue
        inertia = sum(
            float((w[labels == k, None] * (z[labels == k] - _centroid(z, w, labels, k)) ** 2).sum())
            for k in (0, 1)
        )
        if best is None or inertia < best[0]:
            best = (inertia, labels)
    if best is None:
        return None
    labels = best[1]
    diff = _centroid(z, w, labels, 1) - _centroid(z, w, labels, 0)
    norm = float(np.linalg.norm(diff))
    if norm < 1e-9:
        return None
    u = diff / norm
    p = z @ u
    a, b = labels == 0, labels == 1
    m0, m1 = _wmean(p[a], w[a]), _wmean(p[b], w[b])
    var = (_wvar(p[a], w[a]) * w[a].sum() + _wvar(p[b], w[b]) * w[b].sum()) / w.sum()
    sd = max(math.sqrt(var), 0.05 * abs(m1 - m0), 1e-3)
    return u, m0, m1, sd


def _null_dprime(z: np.ndarray, w: np.ndarray, runs: int) -> float:
    """Upper range of d' when the same clustering runs on one Gaussian blob like ``z``."""
    zc = z - (w[:, None] * z).sum(0) / w.sum()
    cov = (w[:, None] * zc).T @ zc / w.sum()
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    rng = np.random.default_rng(12345)
    out = []
    for _ in range(runs):
        sim = rng.standard_normal(z.shape) @ root.T
        fit = _split(sim, w)
        if fit is not None:
            out.append(abs(fit[2] - fit[1]) / fit[3])
    if not out:
        return 0.0
    return float(np.mean(out) + 2.0 * np.std(out))


def _initial_splits(z: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    """Starting partitions: along the pitch column, the first principal axis, farthest pair."""
    inits = []
    for axis in (z[:, 0], _first_pc(z, w)):
        if np.ptp(axis) > 0:
            inits.append((axis > np.median(axis)).astype(int))
    def nearest(i: int, j: int) -> np.ndarray:
        return (((z - z[j]) ** 2).sum(1) < ((z - z[i]) ** 2).sum(1)).astype(int)

    far = int(np.argmax(((z - z.mean(0)) ** 2).sum(1)))
    other = int(np.argmax(((z - z[far]) ** 2).sum(1)))
    inits.append(nearest(far, other))
    rng = np.random.default_rng(0)
    for _ in range(3):
        i, j = rng.choice(len(z), size=2, replace=False)
        inits.append(nearest(int(i), int(j)))
    return inits


def _first_pc(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    zc = z - (w[:, None] * z).sum(0) / w.sum()
    _, _, vt = np.linalg.svd(zc * np.sqrt(w)[:, None], full_matrices=False)
    return zc @ vt[0]


def _two_means(z: np.ndarray, w: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    for _ in range(30):
        if labels.min() == labels.max():
            return None
        c = np.stack([_centroid(z, w, labels, 0), _centroid(z, w, labels, 1)])
        new = ((z[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels if labels.min() != labels.max() else None


def _centroid(z: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    m = labels == k
    return (w[m, None] * z[m]).sum(0) / w[m].sum()


def _wmean(v: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(v)
    return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")


def _wvar(v: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(v)
    if not ok.any():
        return float("nan")
    m = _wmean(v, w)
    return float((w[ok] * (v[ok] - m) ** 2).sum() / w[ok].sum())


# --------------------------------------------------------------------------- role cues


@dataclass(frozen=True)
class Turns:
    """Turn-taking: the probability that the speaker changes between two consecutive utterances.

    Without text or voice evidence a boundary says nothing (``change`` = 0.5). After a question
    the other party usually answers; a piece that stops mid-sentence (ends with a comma) and is
    followed after a short gap is usually the same speaker going on (the VAD cut a turn at a
    breath); two pieces that touch (gap below ``touch_gap_s``) usually come from one stretch.
    """

    change: float
    after_question: float
    continuation: float
    continuation_gap_s: float
    touching: float
    touch_gap_s: float
    question_patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Roles:
    """Role cues loaded from ``roles.toml`` (the only home of their values), per role."""

    agent_phrases: dict[str, float]
    agent_patterns: tuple[tuple[re.Pattern[str], float], ...]
    customer_phrases: dict[str, float]
    customer_patterns: tuple[tuple[re.Pattern[str], float], ...]
    first_speaker_agent: float
    utterance_cue_weight: float
    agent_pinyin_min: int
    customer_pinyin_min: int
    turns: Turns


@lru_cache(maxsize=4)
def load_roles(path: str | Path = ROLES_PATH) -> Roles:
    """The packaged role cues, with the TOML file at `path` (if another) over them key by key.

    A QA lead can edit the TOML without touching code; `ConfigError` names a problem's line.
    """
    data = config.load(ROLES_PATH, path, ROLES_SCHEMA, "role cues")

    def patterns(section: dict) -> tuple[tuple[re.Pattern[str], float], ...]:
        return tuple((re.compile(p), float(wt)) for p, wt in section["patterns"].items())

    agent, customer, prior, t = data["agent"], data["customer"], data["prior"], data["turns"]
    turns = Turns(
        change=float(t["change"]),
        after_question=float(t["after_question"]),
        continuation=float(t["continuation"]),
        continuation_gap_s=float(t["continuation_gap_s"]),
        touching=float(t["touching"]),
        touch_gap_s=float(t["touch_gap_s"]),
        question_patterns=tuple(re.compile(q) for q in t["question_patterns"]),
    )
    return Roles(
        turns=turns,
        agent_phrases={k: float(v) for k, v in agent["phrases"].items()},
        agent_patterns=patterns(agent),
        customer_phrases={k: float(v) for k, v in customer["phrases"].items()},
        customer_patterns=patterns(customer),
        first_speaker_agent=float(prior["first_speaker_agent"]),
        utterance_cue_weight=float(prior["utterance_cue_weight"]),
        agent_pinyin_min=int(agent["pinyin_min_chars"]),
        customer_pinyin_min=int(customer["pinyin_min_chars"]),
    )


_HAN = re.compile(r"[\u4e00-\u9fff]")


# Sound pairs that ASR (and southern speakers) confuse: flat vs retroflex initials, front vs back
# nasal finals. Both sides of a pinyin match are folded with these, so 征信 (zheng xin) still
# matches 真信 (zhen xin) and 手头 (shou tou) matches 收头.
_FUZZY = ((re.compile(r"\b([zcs])h"), r"\1"), (re.compile(r"([aei])ng\b"), r"\1n"),
          (re.compile(r"ing\b"), "in"))


@lru_cache(maxsize=4096)
def _pinyin(text: str) -> str:
    """Fuzzy toneless pinyin with spaces around each syllable ('' when pypinyin is missing)."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a declared dependency
        return ""
    syllables = (s if s.isalpha() else "|" for s in lazy_pinyin(text) if s.strip())
    out = " " + " ".join(syllables) + " "
    for pat, rep in _FUZZY:
        out = pat.sub(rep, out)
    return out


def _phrase_hits(text: str, phrases: dict[str, float], pinyin_min: int = 2) -> float:
    """Summed weights of the phrases in ``text``; phrases of ``pinyin_min`` or more Chinese
    characters also match on fuzzy pinyin (short everyday phrases like 是我 would match across
    word boundaries, 故事我们 → shi wo, so each role sets its own minimum)."""
    score = 0.0
    py = None
    for phrase, weight in phrases.items():
        if phrase in text:
            score += weight
        elif len(_HAN.findall(phrase)) >= pinyin_min:
            py = _pinyin(text) if py is None else py
            if py and _pinyin(phrase) in py:
                score += weight
    return score


def cue_score(text: str, roles: Roles | None = None) -> float:
    """Role evidence of one utterance's text: positive says agent, negative says customer."""
    roles = roles or load_roles()
    text = text or ""
    agent = _phrase_hits(text, roles.agent_phrases, roles.agent_pinyin_min)
    agent += sum(wt for pat, wt in roles.agent_patterns if pat.search(text))
    customer = _phrase_hits(text, roles.customer_phrases, roles.customer_pinyin_min)
    customer += sum(wt for pat, wt in roles.customer_patterns if pat.search(text))
    return float(np.clip(agent - customer, -6.0, 6.0))


# --------------------------------------------------------------------------- turn-taking


_CONTINUES = re.compile(r"[,，、:：;；]\s*$")


def is_question(text: str, roles: Roles | None = None) -> bool:
    """Does the utterance end as a question (a question mark, or a question word/particle)?"""
    roles = roles or load_roles()
    text = (text or "").strip()
    return text.endswith(("?", "？")) or any(p.search(text) for p in roles.turns.question_patterns)


def change_probability(prev: dict, nxt: dict, roles: Roles | None = None) -> float:
    """Probability that ``nxt`` is spoken by the other party than ``prev`` (see ``Turns``)."""
    turns = (roles or load_roles()).turns
    gap = float(nxt["start"]) - float(prev["end"])
    text = str(prev.get("text", "") or "")
    if is_question(text, roles):
        return turns.after_question
    if _CONTINUES.search(text) and gap < turns.continuation_gap_s:
        return turns.continuation
    if gap < turns.touch_gap_s:
        return turns.touching
    return turns.change


def smooth_turns(evidence: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Posterior agent-vs-customer log-odds of each utterance given all utterances' evidence.

    A two-state hidden Markov chain over the utterances in time order: ``evidence[i]`` is the
    log-likelihood ratio (agent : customer) of utterance i on its own, ``change[i]`` the
    probability that the speaker changes between utterances i and i + 1. Forward-backward, so a
    line without cues takes its label from its neighbours only as far as the turn-taking says.
    """
    n = len(evidence)
    if n == 0:
        return np.zeros(0)
    half = np.clip(np.asarray(evidence, dtype=float), -40, 40) / 2
    lik = np.exp(np.stack([half, -half], axis=1) - np.abs(half)[:, None])  # (agent, customer)
    fwd = np.zeros((n, 2))
    bwd = np.ones((n, 2))
    fwd[0] = lik[0] / lik[0].sum()
    for i in range(1, n):
        p = float(change[i - 1])
        prev = np.array([(1 - p) * fwd[i - 1, 0] + p * fwd[i - 1, 1],
                         p * fwd[i - 1, 0] + (1 - p) * fwd[i - 1, 1]])
        f = lik[i] * prev
        fwd[i] = f / f.sum()
    for i in range(n - 2, -1, -1):
        p = float(change[i])
        nxt = lik[i + 1] * bwd[i + 1]
        b = np.array([(1 - p) * nxt[0] + p * nxt[1], p * nxt[0] + (1 - p) * nxt[1]])
        bwd[i] = b / b.sum()
    post = np.maximum(fwd * bwd, 1e-300)
    return np.clip(np.log(post[:, 0]) - np.log(post[:, 1]), -40, 40)


# --------------------------------------------------------------------------- attribution


def attribute(
    samples: np.ndarray,
    sr: int,
    utterances: list[dict],
    roles: Roles | None = None,
) -> tuple[list[dict], float]:
    """Label mono utterances ``agent`` / ``customer`` / ``unknown``; return them and a confidence.

    Three kinds of evidence are combined. Each utterance's role cues (its text) are its own
    evidence; turn-taking links neighbours (``smooth_turns``: after a question the other party
    speaks, a piece cut mid-sentence goes on with the same voice); and a two-class voice model is
    fitted with the text posterior as its prior (so the cues name the classes and the voices carry
    the labels to lines without cues): a few EM rounds of diagonal Gaussians on voice features,
    each utterance scored by a model fitted *without it* (leave-one-out), so its own text cannot
    make its voice look like evidence. The voice evidence counts only as far as it agrees with
    the text on *both* sides (``_agreement_confidence``). Confidence is that agreement, times how
    consistent the cues are, times a length factor. One voice, a very short call or contradicting
    cues give a low confidence, and utterances with neither voice nor cue evidence stay
    ``unknown``.
    """
    roles = roles or load_roles()
    utts = sorted((dict(u) for u in utterances), key=lambda u: (u["start"], u["end"]))
    if not utts:
        return [], 0.0
    fr = _frames(samples, sr)
    embs = [_embed(fr, float(u["start"]), float(u["end"])) for u in utts]
    cues = np.array([cue_score(str(u.get("text", "")), roles) for u in utts])
    prior = roles.utterance_cue_weight * cues
    first = next((i for i, e in enumerate(embs) if e is not None), 0)
    prior[first] += roles.first_speaker_agent
    pairs = zip(utts, utts[1:], strict=False)
    change = np.array([change_probability(a, b, roles) for a, b in pairs])
    if not (prior <= -1.0).any():
        # Nothing sounds like a second party (a voicemail, a monologue): turn-taking must not
        # invent one, so boundaries say nothing about a change.
        change = np.minimum(change, 0.5)
    text_post = smooth_turns(prior, change)
    speech_s = float(sum(max(0.0, u["end"] - u["start"]) for u in utts))
    length_factor = min(1.0, speech_s / MIN_CONFIDENT_SPEECH_S)

    idx = [i for i, e in enumerate(embs) if e is not None]
    acoustic = np.zeros(len(utts))
    sep = 0.0
    if len(idx) >= MIN_ITEMS:
        x = np.stack([_voice_features(embs[i], utts[i]) for i in idx])
        secs = np.array([embs[i][1] for i in idx])
        guide = text_post[idx]
        start_logit = guide if np.abs(guide).max() >= 1.0 else _kmeans_logit(x, secs)
        llr = _em_loo(x, secs, guide, start_logit)
        acoustic[idx] = llr
        sep = _agreement_confidence(llr, guide, secs)

    if sep <= 0.0:  # no usable voice evidence: only clear text and turn evidence names a speaker
        total, decide = text_post, TEXT_ONLY_DECIDE
    else:
        total, decide = smooth_turns(prior + sep * acoustic, change), DECIDE
    labels = np.where(total > decide, "agent", np.where(total < -decide, "customer", "unknown"))
    for u, lab in zip(utts, labels, strict=True):
        u["speaker"] = str(lab)

    # Role consistency: do the cues agree with the partition the evidence settled on?
    side = np.sign(total)
    s_role = float((side * cues).sum()) + roles.first_speaker_agent * side[first]
    mass = float(np.abs(cues).sum()) + roles.first_speaker_agent
    consistency = max(0.0, s_role) / mass if mass > 0 else 0.0
    role_conf = (1.0 - math.exp(-max(0.0, s_role) / 4.0)) * min(1.0, 1.5 * consistency)
    durations = np.array([max(0.0, u["end"] - u["start"]) for u in utts])
    evidence = max(sep, _text_confidence(cues, text_post, durations))
    return utts, round(float(np.clip(evidence * role_conf * length_factor, 0.0, 1.0)), 3)


TEXT_CONF_MAX = 0.6  # text and turn-taking alone never make a call certain: voices must agree
TEXT_BALANCE_MASS = 6.0  # cue weight each role needs before the text shows two parties


def _text_confidence(cues: np.ndarray, post: np.ndarray, durations: np.ndarray) -> float:
    """How far text and turn-taking alone settle the call: both roles clearly present in the
    cues (a monologue or voicemail has no customer side, so it stays near 0) and most speech
    time decided well beyond ``TEXT_ONLY_DECIDE``. At most ``TEXT_CONF_MAX``."""
    agent_mass, customer_mass = float(cues[cues > 0].sum()), float(-cues[cues < 0].sum())
    balance = min(1.0, agent_mass / TEXT_BALANCE_MASS, customer_mass / TEXT_BALANCE_MASS)
    if balance <= 0.0 or durations.sum() <= 0:
        return 0.0
    decided = np.minimum(1.0, np.abs(post) / (2.0 * TEXT_ONLY_DECIDE))
    return TEXT_CONF_MAX * balance * float((decided * durations).sum() / durations.sum())


# Feature weights in the voice model (the log-likelihood ratio of each column is scaled by it):
# register, range, level and speaking rate are robust per utterance; the cepstral means carry
# timbre and line colour but are noisy on short lines, so they count less.
_EM_COLUMNS = [0, 1, 2, 3, 4, 5, 6, 7]  # p10 p50 p90 level c1 c2 c3 c4 (+ rate, appended)
_EM_WEIGHTS = np.array([1.0, 1.0, 1.0, 1.0, 0.35, 0.35, 0.35, 0.35, 1.0])
EM_ROUNDS = 4
DETREND_LENGTH = False  # tried: removes too much of the real difference (range)
VAR_PRIOR = 2.0  # pseudo-count pulling each class variance towards the call's total variance


def _voice_features(emb: tuple[np.ndarray, float], utt: dict) -> np.ndarray:
    """Voice-model columns of one utterance: chosen embedding columns plus syllables / second."""
    vec, secs = emb
    n_han = len(_HAN.findall(str(utt.get("text", ""))))
    rate = n_han / secs if n_han and secs > 0 else np.nan
    return np.concatenate([vec[_EM_COLUMNS], [rate]])


def _kmeans_logit(x: np.ndarray, secs: np.ndarray) -> np.ndarray:
    """Starting point without cues: the two-means split as +-1 (which side is which is arbitrary;
    the first-speaker prior then names it)."""
    model = _fit_voices(x, secs, null_runs=0)
    if model is None:
        return np.zeros(len(x))
    z = _standardise(x, model.center, model.scale)
    return np.sign(z @ model.direction - (model.m0 + model.m1) / 2)


def _em_loo(x: np.ndarray, secs: np.ndarray, prior: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Leave-one-out acoustic log-odds (agent vs customer) after a few EM rounds.

    Columns are z-scored over the call (missing values count as average). In each round every
    item is scored by diagonal Gaussians fitted on all *other* items, weighted by their current
    agent / customer probabilities and their speech seconds; the probabilities then become
    sigmoid(prior + acoustic). Short items' evidence is shrunk by secs / (secs + tau).
    """
    n = len(x)
    mean = np.nanmean(np.where(np.isfinite(x), x, np.nan), axis=0)
    sd = np.nanstd(np.where(np.isfinite(x), x, np.nan), axis=0)
    z = (x - np.nan_to_num(mean)) / np.where(np.nan_to_num(sd) > 1e-9, np.nan_to_num(sd), 1.0)
    z = np.where(np.isfinite(z), z, 0.0)
    w = np.minimum(secs, 4.0)
    if DETREND_LENGTH and n >= 6:
        # Pitch range and level grow with utterance length for any one voice; remove the part of
        # each column that length explains, or "short answer" would pass for "other voice".
        design = np.stack([np.ones(n), np.log(np.maximum(secs, 0.1))], axis=1)
        coef, *_ = np.linalg.lstsq(design * np.sqrt(w)[:, None], z * np.sqrt(w)[:, None],
                                   rcond=None)
        z = z - design @ coef
        z = z / np.maximum(z.std(axis=0), 1e-6)
    reliability = secs / (secs + SHORT_TAU_S)
    p = 1.0 / (1.0 + np.exp(-np.clip(start, -30, 30)))
    llr = np.zeros(n)
    for _ in range(EM_ROUNDS):
        for i in range(n):
            others = np.arange(n) != i
            wa, wc = (w * p)[others], (w * (1 - p))[others]
            if wa.sum() < 0.3 or wc.sum() < 0.3:
                llr[i] = 0.0
                continue
            zo = z[others]
            mu_a = (wa[:, None] * zo).sum(0) / wa.sum()
            mu_c = (wc[:, None] * zo).sum(0) / wc.sum()
            ss = (wa[:, None] * (zo - mu_a) ** 2).sum(0) + (wc[:, None] * (zo - mu_c) ** 2).sum(0)
            var = (ss + VAR_PRIOR) / (wa.sum() + wc.sum() + VAR_PRIOR)
            contrib = ((z[i] - mu_c) ** 2 - (z[i] - mu_a) ** 2) / (2 * var)
            llr[i] = float(np.clip((_EM_WEIGHTS * contrib).sum() * reliability[i],
                                   -LLR_CAP, LLR_CAP))
        p = 1.0 / (1.0 + np.exp(-np.clip(prior + llr, -30, 30)))
    return llr


def _agreement_confidence(acoustic: np.ndarray, prior: np.ndarray, secs: np.ndarray) -> float:
    """How well the held-out voice scores agree with what the cues say: 0 chance, 1 clear.

    Only utterances whose cues lean clearly one way count, and both roles must be among them.
    With one voice, the held-out scores scatter around zero and agree no better than chance.
    """
    side = np.sign(prior) * (np.abs(prior) >= 1.0)
    if (secs[side > 0].sum() < 0.5) or (secs[side < 0].sum() < 0.3):
        return 0.0
    w = np.minimum(secs, 4.0) * np.minimum(1.0, np.abs(acoustic))
    # Agreement on each side separately, then the mean: voices that put everything on one side
    # (all lines "agent") agree with the agent lines only, which is chance, not evidence. A side
    # whose lines get no voice evidence at all counts as chance (0.5).
    agree = []
    for s in (1, -1):
        ws = w * (side == s)
        agree.append(float((ws * (np.sign(acoustic) == s)).sum() / ws.sum()) if ws.sum() > 0
                     else 0.5)
    agree_mean = float(np.mean(agree))
    return float(np.clip((agree_mean - AGREE_LOW) / (AGREE_HIGH - AGREE_LOW), 0.0, 1.0))


AGREE_LOW, AGREE_HIGH = 0.65, 0.9


# --------------------------------------------------------------------------- change detection


def split_at_speaker_changes(
    samples: np.ndarray, sr: int, regions: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Split VAD stretches where the voice changes inside them (before ASR decoding).

    Sliding 1 s windows over all stretches are clustered into two voices; inside a stretch, a cut
    is made only where the window evidence flips clearly and each side holds at least 0.8 s, and
    the cut moves to the quietest frame nearby. If the call does not look like two clearly
    different voices, nothing is split (over-splitting costs ASR context).
    """
    regions = [(float(a), float(b)) for a, b in regions]
    if not regions:
        return []
    fr = _frames(samples, sr)
    wins: list[tuple[int, float, np.ndarray, float]] = []  # (region index, centre, vec, seconds)
    for ri, (a, b) in enumerate(regions):
        for c in _window_centres(a, b):
            e = _embed(fr, max(a, c - WIN_S / 2), min(b, c + WIN_S / 2))
            if e is not None:
                wins.append((ri, c, e[0], e[1]))
    if len(wins) < 2 * MIN_ITEMS:
        return regions
    x = np.stack([v for _, _, v, _ in wins])
    w = np.array([s for *_, s in wins])
    model = _fit_voices(x, w)
    if model is None or model.excess < SPLIT_SEP_MIN:
        return regions
    llrs = np.array([model.llr(v) for _, _, v, _ in wins])
    out: list[tuple[float, float]] = []
    for ri, (a, b) in enumerate(regions):
        sel = [k for k, win in enumerate(wins) if win[0] == ri]
        centres = np.array([wins[k][1] for k in sel])
        cuts = _cuts(a, b, centres, llrs[sel], fr) if b - a >= 2 * SPLIT_MIN_PART_S else []
        edges = [a, *cuts, b]
        out.extend((edges[k], edges[k + 1]) for k in range(len(edges) - 1))
    return out


def _window_centres(a: float, b: float) -> list[float]:
    if b - a <= WIN_S:
        return [(a + b) / 2]
    n = int((b - a - WIN_S) / WIN_HOP_S) + 1
    return [a + WIN_S / 2 + k * WIN_HOP_S for k in range(n)] + [b - WIN_S / 2]


def _cuts(a: float, b: float, centres: np.ndarray, llr: np.ndarray, fr: _Frames) -> list[float]:
    """Cut points inside one stretch where the smoothed window log-odds change sign for good."""
    if len(llr) < 3:
        return []
    smooth = np.array([np.median(llr[max(0, k - 1): k + 2]) for k in range(len(llr))])
    runs: list[list[int]] = []  # consecutive windows with the same sign
    for k, v in enumerate(smooth):
        if runs and (smooth[runs[-1][0]] > 0) == (v > 0):
            runs[-1].append(k)
        else:
            runs.append([k])
    # Merge weak runs into their neighbours until every run is long and clear enough.
    def strong(run: list[int]) -> bool:
        span = centres[run[-1]] - centres[run[0]] + WIN_S
        return span >= SPLIT_MIN_PART_S and abs(float(np.mean(smooth[run]))) >= SPLIT_MIN_LLR

    kept = [r for r in runs if strong(r)]
    cuts = []
    for r0, r1 in zip(kept, kept[1:], strict=False):
        if (np.mean(smooth[r0]) > 0) == (np.mean(smooth[r1]) > 0):
            continue
        last, nxt = r0[-1], r1[0]
        t = _quietest((centres[last] + centres[nxt]) / 2, fr)
        if t - a >= SPLIT_MIN_PART_S and b - t >= SPLIT_MIN_PART_S and (not cuts or t > cuts[-1]):
            cuts.append(round(t, 2))
    return cuts


def _quietest(t: float, fr: _Frames) -> float:
    """The quietest frame within SPLIT_REFINE_S of t: speakers rarely change mid-syllable."""
    a = max(0, int((t - SPLIT_REFINE_S) * FRAME_RATE))
    b = min(len(fr.energy_db), int((t + SPLIT_REFINE_S) * FRAME_RATE) + 1)
    if b <= a:
        return t
    e = np.convolve(fr.energy_db[a:b], np.ones(3) / 3, mode="same")
    return (a + int(np.argmin(e))) / FRAME_RATE
