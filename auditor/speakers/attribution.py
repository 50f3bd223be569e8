"""Agent / customer attribution of a mono call's utterances, and a per-call confidence.

Three signals, none enough alone: the *voices* (per-utterance voice vectors from
``features.embed``), the *roles* (text cues, ``roles.cue_score``) and the *turn-taking*
(``roles.change_probability``, ``roles.smooth_turns``). Voices say which utterances go together;
role cues and turn rules say which is the agent. The voices count only as far as they agree with
the text on both sides, since two similar voices (or one voice) cluster into noise.

Pure core: the call's ``VoiceFrames`` and utterance dicts in, utterance dicts out; the EM is
numpy only. The frames are computed once per call (``features.voice_frames``) and shared with
the speaker-change splitting before decoding.
"""

from __future__ import annotations

import math

import numpy as np

from auditor.speakers.features import VoiceFrames, embed
from auditor.speakers.roles import (
    HAN,
    Roles,
    change_probability,
    cue_score,
    load_roles,
    smooth_turns,
)
from auditor.speakers.voices import LLR_CAP, MIN_ITEMS, fit_voices, standardise

SHORT_TAU_S = 0.5  # acoustic evidence of an utterance is shrunk by dur / (dur + tau)
DECIDE = 1.0  # |log-odds| needed to name a speaker; below it the utterance stays unknown
TEXT_ONLY_DECIDE = 1.5  # with no usable voice evidence, only clear text + turns name one
MIN_CONFIDENT_SPEECH_S = 20.0  # shorter calls get proportionally lower confidence


def attribute(
    frames: VoiceFrames,
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
    ``unknown``. ``frames`` are the call's features from ``features.voice_frames``, the same
    value the speaker-change splitting used before decoding.
    """
    roles = roles or load_roles()
    utts = sorted((dict(u) for u in utterances), key=lambda u: (u["start"], u["end"]))
    if not utts:
        return [], 0.0
    embs = [embed(frames, float(u["start"]), float(u["end"])) for u in utts]
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
    n_han = len(HAN.findall(str(utt.get("text", ""))))
    rate = n_han / secs if n_han and secs > 0 else np.nan
    return np.concatenate([vec[_EM_COLUMNS], [rate]])


def _kmeans_logit(x: np.ndarray, secs: np.ndarray) -> np.ndarray:
    """Starting point without cues: the two-means split as +-1 (which side is which is arbitrary;
    the first-speaker prior then names it)."""
    model = fit_voices(x, secs, null_runs=0)
    if model is None:
        return np.zeros(len(x))
    z = standardise(x, model.center, model.scale)
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

