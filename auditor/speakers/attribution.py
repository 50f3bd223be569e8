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
    length_prior,
    line_cues,
    load_roles,
    smooth_turns,
    turn_evidence,
)
from auditor.speakers.settings import (
    AttributionSettings,
    EmbeddingSettings,
    load_attribution_settings,
)
from auditor.speakers.turn_test import turn_clarity, turn_p_value
from auditor.speakers.voices import (
    LLR_CAP,
    MIN_ITEMS,
    block_weights,
    calibrated_leans,
    embedding_splits,
    fit_voices,
)


def attribute(
    frames: VoiceFrames,
    utterances: list[dict],
    roles: Roles | None = None,
    embeddings: list[np.ndarray | None] | None = None,
    settings: AttributionSettings | None = None,
) -> tuple[list[dict], float]:
    """Label mono utterances ``agent`` / ``customer`` / ``unknown``; return them and a confidence.

    Each returned utterance also carries ``agent_posterior``: P(agent) from all the evidence,
    0..1 with 3 decimals. A line is named only when the posterior is settled (beyond the
    thresholds of ``roles.toml [decision]``); an unsettled line is ``unknown`` but keeps its
    posterior, so the rules can raise an agent-category match on it as uncertain.

    Three kinds of evidence are combined. Each utterance's role cues (its text, weighted by the
    line's ASR ``confidence``, missing = 1) are its own evidence; turn-taking links neighbours
    (``smooth_turns``: after a question the other party speaks, a piece cut mid-sentence goes on
    with the same voice, a short backchannel does not end the other party's turn); and the voices.
    The voices are clustered per call on timbre (cepstral means, delta spread, long-term average
    spectrum; pitch and level weakly, all z-scored per call). When the clusters are clearly two
    voices (better than one voice would split, ``voices.fit_voices``), the cluster that the
    opener, the role cues and the line lengths point at, each weighed once per voice
    (``_orientation``), is the agent's, even with no cue at all, and no line is surer of its role
    than the call is of that naming (``_oriented``). When the windows do not cluster clearly, the
    partition that turn-taking proposes is tested against the voices as well (``_turn_voices``,
    with a one-voice null), and the better-backed of the two is kept; when neither is backed,
    the cues do not show both parties and the call is not taken for one voice (a line's text
    says customer, or too little speech to test the voices), voices and turns are fitted
    together (``_chain_em``). Then a few
    EM rounds of diagonal Gaussians refine it with the text posterior as prior, each utterance
    scored by a model fitted *without it* (leave-one-out), so its own text cannot make its voice
    look like evidence. Confidence is how far voices and text agree, times how consistent the
    cues are, times a length factor. ``frames`` are the call's features from
    ``features.voice_frames``, the same value the speaker-change splitting used.

    ``embeddings`` (optional, one per utterance in the given order, None where a line is too
    short) are speaker embeddings from the voice encoder (``encoder.embed_spans``). Where they
    split the lines into two voices more clearly than the timbre windows do
    (``voices.embedding_splits``), their split is the call's voice clusters: two real people
    whose cepstral statistics overlap are still far apart there.

    ``roles`` (cues, turn-taking, decision thresholds) default to ``roles.toml``, ``settings``
    (the voice side's thresholds) to ``attribution.toml``; both are frozen values, loaded once.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # small products: no thread pool
        return _attribute(frames, utterances, roles or load_roles(), embeddings,
                          settings or load_attribution_settings())


def _attribute(frames: VoiceFrames, utterances: list[dict], roles: Roles,
               embeddings: list[np.ndarray | None] | None, s: AttributionSettings
               ) -> tuple[list[dict], float]:
    order = sorted(range(len(utterances)),
                   key=lambda i: (utterances[i]["start"], utterances[i]["end"]))
    utts = [dict(utterances[i]) for i in order]
    if not utts:
        return [], 0.0
    embs = [embed(frames, float(u["start"]), float(u["end"])) for u in utts]
    asr_conf = np.array([_asr_confidence(u) for u in utts])
    cues = np.array(line_cues([str(u.get("text", "")) for u in utts], roles)) * asr_conf
    prior = roles.utterance_cue_weight * cues
    prior += np.array([length_prior(float(u["end"]) - float(u["start"]), roles) for u in utts])
    first = next((i for i, e in enumerate(embs) if e is not None), 0)
    prior[first] += roles.first_speaker_agent
    pairs = zip(utts, utts[1:], strict=False)
    change = np.array([change_probability(a, b, roles) for a, b in pairs])
    # The partition turn-taking proposes from the text alone (opener, cues, turns; no audio,
    # no line lengths): what an embedding split is tested against (``turn_test``).
    opener = np.zeros(len(utts))
    opener[first] = roles.first_speaker_agent
    turn_guide = np.sign(smooth_turns(roles.utterance_cue_weight * cues + opener, change))
    if embeddings is not None and len(embeddings) == len(utts):
        change = _changes_heard(change, [embeddings[i] for i in order], s)
    speech_s = float(sum(max(0.0, u["end"] - u["start"]) for u in utts))
    length_factor = min(1.0, speech_s / s.min_confident_speech_s)

    idx = [i for i, e in enumerate(embs) if e is not None]
    secs = np.array([embs[i][1] for i in idx])
    voice_sep, unsup = _window_voices(frames, [utts[i] for i in idx], s)
    if embeddings is not None and len(embeddings) == len(utts):
        voice_sep, unsup = _embedding_voices([embeddings[order[i]] for i in idx], secs,
                                             voice_sep, unsup, s, turn_guide[idx])
    turn_change = change  # turn-taking as the text says, before any one-voice assumption
    if not (prior <= -1.0).any() and voice_sep <= 0.0:
        # Nothing sounds like a second party: the voices do not split in two and no line's text
        # says customer (a voicemail, a monologue, or a party heard too briefly to tell). Then
        # turn-taking must not invent one: the speaker rarely changes (``turns.one_voice``),
        # so the lines go with the opener unless their own evidence says otherwise. A boundary
        # whose text says the turn changes (a question answered, a bare 对 / 好) keeps its
        # turn-taking: on a short or narrow-band call the voice test has too little power to
        # overrule the dialogue (a customer's 对 after 请问您是…吗 is not the agent's).
        said = np.array([turn_evidence(a, b, roles)
                         for a, b in zip(utts, utts[1:], strict=False)], dtype=bool)
        change = np.where(said, change, np.minimum(change, roles.turns.one_voice))
        one_voice = voice_sep == 0.0 and len(idx) >= MIN_ITEMS
    else:
        one_voice = False
    text_post = smooth_turns(prior, change)

    acoustic = np.zeros(len(utts))
    sep = 0.0
    guide = text_post[idx]
    idx_utts, idx_cues = [utts[i] for i in idx], roles.utterance_cue_weight * cues[idx]
    naming: tuple[np.ndarray, np.ndarray] | None = None  # (voice log-odds, naming margin)
    if unsup is not None:
        # Name the two voice clusters: the opener, the role cues and the line lengths, each
        # weighed once per voice; the orientation's own margin bounds every line's evidence.
        naming = _spread(len(utts), idx, unsup, _naming(unsup, idx_utts, idx_cues, roles))
        unsup = _oriented(unsup, naming[1][idx])
        both_sides = (guide <= -1.0).any() and (guide >= 1.0).any()
        # With cues on both sides the clusters must also agree with them: a split of shouted vs
        # calm lines of one party is two clusters, but not the two parties.
        # The veto counts as far as the cues show both parties (a stray 是我 or 不记得 in the
        # agent's talk is no reason to drop two clearly separate voices).
        agree = 1.0 - _cue_balance(cues, s) * (
            1.0 - _agreement_confidence(unsup, guide, secs, s)) if both_sides else 1.0
        acoustic[idx], sep = unsup, max(0.0, voice_sep) * agree
    if len(idx) >= MIN_ITEMS and (guide <= -1.0).any() and (guide >= 1.0).any():
        # Cues on both sides: voice models guided by the text, scored leave-one-out.
        x = np.stack([_voice_features(embs[i], utts[i]) for i in idx])
        llr = _em_loo(x, secs, guide, guide, s)
        guided = _agreement_confidence(llr, guide, secs, s)
        if guided > sep:
            acoustic[idx], sep, naming = llr, guided, None  # oriented by the cues already
    elif sep < 1.0 and len(idx) >= MIN_ITEMS:
        # No cues on both sides and the clusters not clearly two voices (none, or weakly: on a
        # short call the windows' test has little power): test the turn-taking's own partition
        # as well, and keep whichever of the two the voices back more.
        turns = _turn_partition(embs, utts, idx, secs, prior, turn_change, s)
        if turns is not None and turns[1] > sep:
            margin = _naming(turns[0], idx_utts, idx_cues, roles)
            acoustic[idx], sep = _oriented(turns[0], margin), turns[1]
            naming = _spread(len(utts), idx, turns[0], margin)
            change, one_voice = turn_change, False

    chained = False
    if (sep <= 0.0 and len(idx) >= MIN_ITEMS and roles.chain_voice_weight > 0 and not one_voice
            and not ((guide <= -1.0).any() and (guide >= 1.0).any())):
        # No voice clusters, no cues on both sides, not one voice (the chain would split a
        # monologue): voices and turns fitted together.
        x = np.stack([_voice_features(embs[i], utts[i]) for i in idx])
        chain = _chain_em(x, secs, prior, change, idx, roles.chain_voice_weight, s)
        if chain is not None:
            total, decide, chained = chain, roles.decision.log_odds, True
    if chained:
        pass
    elif sep <= 0.0:  # no usable voice evidence: only clear text and turn evidence names a speaker
        # ... unless the voices said "one voice throughout": that is voice evidence too.
        total = text_post
        decide = roles.decision.log_odds if one_voice else roles.decision.text_only_log_odds
    elif naming is None:
        total, decide = smooth_turns(prior + sep * acoustic, change), roles.decision.log_odds
    else:
        total, decide = _named_turns(prior, sep, naming, change), roles.decision.log_odds
    # One voice heard: the lines go with the opener (the agent) when settled, but a line is named
    # customer only on the stricter text evidence, so an agent line is never moved to the
    # customer's side (where its violations would vanish) by length or turn priors alone.
    to_customer = roles.decision.text_only_log_odds if one_voice and sep <= 0.0 else decide
    labels = np.where(total > decide, "agent",
                      np.where(total < -to_customer, "customer", "unknown"))
    for u, lab, t in zip(utts, labels, total, strict=True):
        u["speaker"] = str(lab)
        u["agent_posterior"] = round(float(1.0 / (1.0 + math.exp(-float(t)))), 3)

    # Role consistency: do the cues agree with the partition the evidence settled on?
    side = np.sign(total)
    s_role = float((side * cues).sum()) + roles.first_speaker_agent * side[first]
    mass = float(np.abs(cues).sum()) + roles.first_speaker_agent
    consistency = max(0.0, s_role) / mass if mass > 0 else 0.0
    role_conf = (1.0 - math.exp(-max(0.0, s_role) / 4.0)) * min(1.0, 1.5 * consistency)
    durations = np.array([max(0.0, u["end"] - u["start"]) for u in utts])
    evidence = max(sep, _text_confidence(cues, text_post, durations,
                                         roles.decision.text_only_log_odds, s))
    return utts, round(float(np.clip(evidence * role_conf * length_factor, 0.0, 1.0)), 3)


def _window_voices(frames: VoiceFrames, utts: list[dict], s: AttributionSettings
                   ) -> tuple[float, np.ndarray | None]:
    """Two voices from 1 s windows inside the utterances, without the text.

    Windows, not utterances, are clustered: a call of four lines gives dozens of windows, so the
    test against one voice (``fit_voices``' parametric null) has the power to say "two voices"
    even on a short call. Returns how clearly the windows form two voices (0..1) and, if they
    do, each utterance's log-odds of the second cluster: the mean of its windows' log-odds,
    counted as if the windows were half independent, capped. The sign is arbitrary here.
    The separation is -1.0 when there is too little speech to test at all, 0.0 when the test
    ran and the windows split no better than one voice would. Window size, the test's runs and
    its span are attribution.toml's [windows].
    """
    owner, vecs, weights = [], [], []
    for k, u in enumerate(utts):
        a, b = float(u["start"]), float(u["end"])
        half = s.window_s / 2
        centres = [(a + b) / 2] if b - a <= s.window_s else list(
            np.arange(a + half, b - half + 1e-6, s.hop_s))
        for c in centres:
            e = embed(frames, max(a, c - half), min(b, c + half))
            if e is not None:
                owner.append(k)
                vecs.append(e[0])
                weights.append(e[1])
    if len(vecs) < s.min_windows or len(set(owner)) < 2:
        return -1.0, None
    model = fit_voices(np.stack(vecs), np.array(weights), null_runs=s.null_runs, blocks=s.blocks)
    if model is None or not np.isfinite(model.excess):
        return -1.0, None
    sep = float(np.clip((model.excess - 1.0) / s.excess_span, 0.0, 1.0))
    if sep <= 0.0:
        return 0.0, None
    win = np.array([model.llr(v) for v in vecs])
    own = np.array(owner)
    out = np.zeros(len(utts))
    for k in range(len(utts)):
        m = win[own == k]
        if m.size:
            out[k] = float(np.clip(m.mean() * np.sqrt((m.size + 1) / 2), -LLR_CAP, LLR_CAP))
    return sep, out


def _changes_heard(change: np.ndarray, vecs: list[np.ndarray | None], s: AttributionSettings
                   ) -> np.ndarray:
    """Turn-change chances raised where two neighbouring lines are clearly different people.

    Only one way. On the tuning calls with real voices, neighbours below ``different_cos``
    (attribution.toml [embeddings]) were a change of speaker five times as often as one speaker
    going on, so the chance rises to ``different_change``; but two close lines may
    still be two similar voices (the synthetic voices of one engine are), so closeness lowers
    nothing.
    """
    out, e = change.copy(), s.embeddings
    for k in range(len(out)):
        a, b = vecs[k], vecs[k + 1]
        if a is not None and b is not None and float(a @ b) < e.different_cos:
            out[k] = max(out[k], e.different_change)
    return out


def _embedding_voices(vecs: list[np.ndarray | None], secs: np.ndarray, voice_sep: float,
                      unsup: np.ndarray | None, s: AttributionSettings,
                      guide: np.ndarray | None = None) -> tuple[float, np.ndarray | None]:
    """The speaker embeddings' two voices in place of the windows' when they are clearer.

    Returns (separation, per-line log-odds of the second voice), as ``_window_voices`` does; a
    line without an embedding (too short) has no voice evidence (0). The windows' result is kept
    when the embeddings split less clearly (at equal clarity the embeddings, the better evidence).
    Two splits are tried (``voices.embedding_splits``: two-means and average linkage) and the
    clearer kept (``_split_clarity``; ``guide`` is the lines' turn partition from the text).
    """
    ok = [k for k, v in enumerate(vecs) if v is not None]
    if len(ok) < 2:
        return voice_sep, unsup
    w = np.minimum(secs[ok], s.line_secs_cap)
    x = np.stack([vecs[k] for k in ok])
    g = None if guide is None else np.asarray(guide)[ok]
    scored = [(_split_clarity(split, w, g, s.embeddings), split[1])
              for split in embedding_splits(x, w, s.embeddings)]
    if not scored:
        return voice_sep, unsup
    clarity, llr = max(scored, key=lambda c: c[0])  # ties: the first (two-means)
    if clarity <= 0.0 or clarity < voice_sep:
        return voice_sep, unsup
    out = np.zeros(len(vecs))
    out[ok] = calibrated_leans(llr, w)
    return clarity, out


def _split_clarity(split: tuple[float, np.ndarray], w: np.ndarray, guide: np.ndarray | None,
                   e: EmbeddingSettings) -> float:
    """How clearly an embedding split is two voices: the best of its centres' cosine, its lines'
    lean (``lean_clarity``) and how far it follows the turns (``turn_test``: a permutation test,
    so no voice-specific limit), scaled down when its smaller side holds less than
    ``min_side_s`` of speech (one short line's embedding is noisy and far from any centre)."""
    clarity = max(split[0], lean_clarity(split[1], w, e))
    if guide is not None and clarity < 1.0:
        p = turn_p_value(np.where(split[1] > 0, 1, -1), guide, e.turn_runs)
        clarity = max(clarity, turn_clarity(p, e.turn_p_one, e.turn_p_clear))
    second = split[1] > 0
    heard = min(float(w[second].sum()), float(w[~second].sum()))
    return clarity * min(1.0, heard / e.min_side_s)


def lean_clarity(llr: np.ndarray, w: np.ndarray, e: EmbeddingSettings) -> float:
    """How clearly an embedding split is two voices by how far its lines lean, 0..1.

    ``llr`` are the split's leave-one-out scores (``voices.split_embeddings``: ``llr_scale``
    times the cosine difference to the two centres fitted without the line), ``w`` the lines'
    weights. One voice's lines, left out, sit between the halves of its split and lean little
    either way; two voices' lines each lean to their own party's centre, however close the two
    voices are in absolute terms. The weighted mean lean is mapped from 0 at ``lean_one`` to 1
    at ``lean_clear`` (attribution.toml [embeddings])."""
    if len(llr) == 0 or float(w.sum()) <= 0.0 or e.llr_scale <= 0.0:
        return 0.0
    lean = float((w * np.abs(llr)).sum() / w.sum()) / e.llr_scale
    return float(np.clip((lean - e.lean_one) / (e.lean_clear - e.lean_one), 0.0, 1.0))


def _turn_voices(embs: list, utts: list[dict], idx: list[int], secs: np.ndarray,
                 prior: np.ndarray, change: np.ndarray, cues: np.ndarray, roles: Roles,
                 s: AttributionSettings) -> tuple[np.ndarray, float] | None:
    """Voice evidence from the partition that turn-taking proposes, when clustering found none.

    On a short call, a few dozen windows in ~40 columns, unsupervised two-means has little power
    against its one-voice null: it searches every partition. Turn-taking names one partition
    (the opener, then the other party after each turn) without looking at the audio, and that
    single hypothesis can be tested with far fewer lines: voice models fitted on the proposed
    sides, each line scored leave-one-out (``_em_loo``), must agree with the proposal well
    beyond chance (``_agreement_confidence``; one voice agrees only by chance). Returns the
    lines' oriented log-odds and the agreement, or None when the voices do not back the turns.
    """
    turns = _turn_partition(embs, utts, idx, secs, prior, change, s)
    if turns is None:
        return None
    return _named(turns[0], [utts[i] for i in idx], roles.utterance_cue_weight * cues[idx],
                  roles), turns[1]


def _turn_partition(embs: list, utts: list[dict], idx: list[int], secs: np.ndarray,
                    prior: np.ndarray, change: np.ndarray, s: AttributionSettings
                    ) -> tuple[np.ndarray, float] | None:
    """``_turn_voices`` before the voices are named: the lines' voice log-odds (positive =
    the voice turn-taking gives the opener) and the agreement, or None."""
    alt = smooth_turns(prior, change)[idx]
    guide = np.where(np.abs(alt) > 1e-3, np.sign(alt), 0.0)
    if not ((guide > 0).any() and (guide < 0).any()):
        return None
    x = np.stack([_voice_features(embs[i], utts[i]) for i in idx])
    llr = _em_loo(x, secs, guide, guide, s)
    agree = _agreement_confidence(llr, guide, secs, s)
    if agree <= 0.0 or _backing(llr, guide, secs, s) <= _null_backing(x, secs, guide, s):
        return None
    return llr, agree


def _backing(llr: np.ndarray, guide: np.ndarray, secs: np.ndarray, s: AttributionSettings
             ) -> float:
    """How far leave-one-out voice scores back a proposed partition: -1..1 (0 = not at all)."""
    w = np.minimum(secs, s.line_secs_cap)
    return float((w * guide * np.tanh(llr / 2)).sum() / max(float(w.sum()), 1e-9))


def _null_backing(x: np.ndarray, secs: np.ndarray, guide: np.ndarray, s: AttributionSettings
                  ) -> float:
    """Upper range of ``_backing`` when one voice speaks every line (a parametric null).

    The EM rounds of ``_em_loo`` feed each line's score back into the others' models, so even
    one voice backs any proposal a little, and on a short call the agreement can pass by chance.
    The same procedure is run on Gaussian data of the call's size and covariance (as
    ``voices.fit_voices`` does for clustering); its mean + ``agree_null_sd`` sd is the bar.
    """
    ok = np.isfinite(x)
    count = np.maximum(ok.sum(0), 1)
    mean = np.where(ok, x, 0.0).sum(0) / count
    sd = np.sqrt(np.where(ok, (x - mean) ** 2, 0.0).sum(0) / count)
    z = np.where(ok, (x - mean) / np.where(sd > 1e-9, sd, 1.0), 0.0)  # missing = average
    cov = z.T @ z / len(z)
    root = np.linalg.cholesky(cov + 1e-6 * np.eye(len(cov)))
    rng = np.random.default_rng(4321)
    out = [_backing(_em_loo(rng.standard_normal(z.shape) @ root.T, secs, guide, guide, s),
                    guide, secs, s) for _ in range(s.null_runs)]
    return float(np.mean(out) + s.agree_null_sd * np.std(out))


def _orientation(unsup: np.ndarray, utts: list[dict], cue_ev: np.ndarray, roles: Roles
                 ) -> float:
    """Log-odds that the voice cluster of positive ``unsup`` is the agent's.

    Voice-level evidence, each kind counted once: the opener (the voice of the first line,
    ``opener_voice_agent``), the role cues of every line weighted by how clearly the line
    belongs to that voice, and line length as the difference of the two voices' mean log
    length (``line_length_weight`` per doubling, at most ``line_length_cap``). Summing a length
    prior line by line instead let a voice with many long lines outvote the opener by their
    number alone, and flipped whole calls whose answers happened to be long.
    """
    m = np.tanh(unsup / 2)
    score = float((m * cue_ev).sum()) + roles.opener_voice_agent * float(m[0])
    durs = np.log2(np.array([max(0.05, float(u["end"]) - float(u["start"])) for u in utts]))
    wa, wc = (1 + m) / 2, (1 - m) / 2
    if wa.sum() > 1e-6 and wc.sum() > 1e-6 and roles.line_length_weight > 0:
        diff = float((wa * durs).sum() / wa.sum() - (wc * durs).sum() / wc.sum())
        score += float(np.clip(roles.line_length_weight * diff, -roles.line_length_cap,
                               roles.line_length_cap))
    return score


def _named(unsup: np.ndarray, utts: list[dict], cue_ev: np.ndarray, roles: Roles) -> np.ndarray:
    """Each line's agent log-odds from its voice-cluster log-odds, the voices named per line.

    The naming (``_orientation``) counts every line's cues; a line's own cues are counted again
    as that line's own evidence (the prior of ``smooth_turns``), so for each line the naming is
    taken *without* its own cues (leave-one-out): a customer-sounding phrase in one agent line
    neither lowers that line's naming margin nor then pulls it to the customer a second time.
    """
    return _oriented(unsup, _naming(unsup, utts, cue_ev, roles))


def _naming(unsup: np.ndarray, utts: list[dict], cue_ev: np.ndarray, roles: Roles) -> np.ndarray:
    """Per line, the log-odds that the positive voice is the agent's, without the line's own
    cues (``_named``)."""
    orient = _orientation(unsup, utts, cue_ev, roles)
    own = np.tanh(unsup / 2) * cue_ev  # each line's share of the orientation's cue term
    return orient - own


def _spread(n: int, idx: list[int], voice: np.ndarray, margin: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Voice log-odds and naming margins of the ``idx`` lines onto all ``n`` lines: a line
    without audible speech has no voice evidence and the call's mean naming margin."""
    v, m = np.zeros(n), np.full(n, float(np.mean(margin)) if len(margin) else 0.0)
    v[idx], m[idx] = voice, margin
    return v, m


def _named_turns(prior: np.ndarray, sep: float, naming: tuple[np.ndarray, np.ndarray],
                 change: np.ndarray) -> np.ndarray:
    """Agent log-odds of every line when two voices are heard but which is the agent is unsure.

    Which voice is the agent's is ONE question for the whole call, not one per line: either the
    naming is right and every line of the opener's voice is the agent's, or it is wrong and all
    of them are the customer's. So the turn chain runs once under each naming, with the voices'
    full evidence, and the two are mixed by how sure the naming is (per line, without the line's
    own cues: ``_naming``). Bounding each line's voice evidence by the naming margin and then
    chaining those bounded values instead treated the naming as an independent doubt on every
    line, and the turn-taking prior (the speaker mostly changes) then pulled a run of one
    voice's lines back to unknown however clearly the voice itself was heard.
    """
    voice, margin = naming
    right = smooth_turns(prior + sep * voice, change)
    wrong = smooth_turns(prior - sep * voice, change)
    o = 1.0 / (1.0 + np.exp(-np.clip(margin, -30.0, 30.0)))
    p = o / (1.0 + np.exp(-right)) + (1.0 - o) / (1.0 + np.exp(-wrong))
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.clip(np.log(p) - np.log1p(-p), -40.0, 40.0)


def _oriented(unsup: np.ndarray, margin: float | np.ndarray) -> np.ndarray:
    """Each line's agent log-odds from its voice-cluster log-odds and the orientation margin.

    P(agent) = P(voice named right) P(line in that voice) + P(named wrong) P(line in the
    other): a line can be no surer of its role than the call is of which voice is the agent.
    ``margin`` (log-odds that the positive cluster is the agent's) is one value or one per line.
    """
    o = 1.0 / (1.0 + np.exp(-np.clip(margin, -30.0, 30.0)))
    m = 1.0 / (1.0 + np.exp(-np.clip(unsup, -30, 30)))
    p = np.clip(o * m + (1 - o) * (1 - m), 1e-9, 1 - 1e-9)
    return np.clip(np.log(p) - np.log1p(-p), -LLR_CAP, LLR_CAP)


def _chain_em(x: np.ndarray, secs: np.ndarray, prior: np.ndarray, change: np.ndarray,
              idx: list[int], weight: float, s: AttributionSettings) -> np.ndarray | None:
    """Each line's agent log-odds from two voices and the turn chain fitted together, or None.

    When the voice windows form no clear clusters, a party's lines can still sound more like
    one another than like the other party's, and turn-taking says roughly where the turns are:
    either alone is too weak. So the two are fitted as one model, a two-state chain over the
    lines (``smooth_turns``) whose states have voices: from the turn chain's sides, each line
    is scored by diagonal Gaussians fitted on the *other* lines' current sides (leave-one-out,
    so a line's own voice is no evidence for itself), the scores (times ``weight`` and the
    line's seconds up to ``line_secs_cap``) are added to the lines' prior and the chain is run
    again, until the sides settle. ``x`` are the voice columns of the ``idx`` lines; ``prior``
    and ``change`` cover every line. None when one side has no speech left.
    """
    ok = np.isfinite(x)
    count = np.maximum(ok.sum(0), 1)
    mean = np.where(ok, x, 0.0).sum(0) / count
    sd = np.sqrt(np.where(ok, (x - mean) ** 2, 0.0).sum(0) / count)
    z = np.where(ok, (x - mean) / np.where(sd > 1e-9, sd, 1.0), 0.0)  # missing = average
    columns = _em_weights(x.shape[1] - 1, s)
    w = np.minimum(secs, s.line_secs_cap)
    post = smooth_turns(prior, change)
    for _ in range(s.chain_rounds):
        p = 1.0 / (1.0 + np.exp(-np.clip(post[idx], -30, 30)))
        mus = []
        for q in (w * p, w * (1 - p)):
            if q.sum() < 0.3:
                return None
            others = np.maximum(q.sum() - q, 1e-9)
            mus.append(((q[:, None] * z).sum(0)[None, :] - q[:, None] * z) / others[:, None])
        mu_a, mu_c = mus
        llr = weight * w * ((((z - mu_c) ** 2 - (z - mu_a) ** 2) / 2) * columns).sum(1)
        evidence = prior.copy()
        evidence[idx] += np.clip(llr, -LLR_CAP, LLR_CAP)
        new = smooth_turns(evidence, change)
        settled = np.allclose(new, post, atol=1e-3)
        post = new
        if settled:
            break
    return post


def _asr_confidence(utt: dict) -> float:
    """The line's ASR confidence (0..1; missing = 1.0): how far its words can be believed."""
    value = utt.get("confidence")
    try:
        return float(np.clip(float(value), 0.0, 1.0)) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def _cue_balance(cues: np.ndarray, s: AttributionSettings) -> float:
    """How far the cues show both parties: each role's cue weight over ``text_balance_mass``
    (0 = one role or none has cues, 1 = both have plenty)."""
    agent_mass, customer_mass = float(cues[cues > 0].sum()), float(-cues[cues < 0].sum())
    return min(1.0, agent_mass / s.text_balance_mass, customer_mass / s.text_balance_mass)


def _text_confidence(cues: np.ndarray, post: np.ndarray, durations: np.ndarray,
                     decide: float, s: AttributionSettings) -> float:
    """How far text and turn-taking alone settle the call: both roles clearly present in the
    cues (a monologue or voicemail has no customer side, so it stays near 0) and most speech
    time decided well beyond ``decide`` (log-odds). At most ``text_conf_max``."""
    balance = _cue_balance(cues, s)
    if balance <= 0.0 or durations.sum() <= 0:
        return 0.0
    decided = np.minimum(1.0, np.abs(post) / (2.0 * decide))
    return s.text_conf_max * balance * float((decided * durations).sum() / durations.sum())


# The voice model uses every column of the voice vector plus the speaking rate; the
# log-likelihood ratio of each column is scaled by its block's weight (``voices.block_weights``:
# timbre strong, pitch and level weak since emotion moves them), scaled so the blocks sum to
# ``em_scale`` column units (attribution.toml [em]).
def _em_weights(n_embed: int, s: AttributionSettings) -> np.ndarray:
    w = block_weights(n_embed, s.blocks) ** 2
    return np.concatenate([s.em_scale * w / w.sum(), [s.em_rate_weight]])


def _voice_features(emb: tuple[np.ndarray, float], utt: dict) -> np.ndarray:
    """Voice-model columns of one utterance: chosen embedding columns plus syllables / second."""
    vec, secs = emb
    n_han = len(HAN.findall(str(utt.get("text", ""))))
    rate = n_han / secs if n_han and secs > 0 else np.nan
    return np.concatenate([vec, [rate]])


def _em_loo(x: np.ndarray, secs: np.ndarray, prior: np.ndarray, start: np.ndarray,
            s: AttributionSettings) -> np.ndarray:
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
    w = np.minimum(secs, s.line_secs_cap)
    weights = _em_weights(x.shape[1] - 1, s)
    reliability = secs / (secs + s.short_tau_s)
    p = 1.0 / (1.0 + np.exp(-np.clip(start, -30, 30)))
    llr = np.zeros(n)
    for _ in range(s.em_rounds):
        # Leave-one-out sums for every item at once: the totals minus the item's own share.
        llr = np.zeros(n)
        var_num = np.zeros_like(z)
        mus = []
        for q in (w * p, w * (1 - p)):
            wo = q.sum() - q  # (n,) weight of the others
            s1 = (q[:, None] * z).sum(0)[None, :] - q[:, None] * z
            s2 = (q[:, None] * z**2).sum(0)[None, :] - q[:, None] * z**2
            mu = s1 / np.maximum(wo, 1e-9)[:, None]
            var_num += np.maximum(s2 - wo[:, None] * mu**2, 0.0)
            mus.append((mu, wo))
        (mu_a, wa), (mu_c, wc) = mus
        var = (var_num + s.em_var_prior) / (wa + wc + s.em_var_prior)[:, None]
        contrib = ((z - mu_c) ** 2 - (z - mu_a) ** 2) / (2 * var)
        llr = np.clip((contrib * weights).sum(1) * reliability, -LLR_CAP, LLR_CAP)
        llr = np.where((wa < 0.3) | (wc < 0.3), 0.0, llr)
        p = 1.0 / (1.0 + np.exp(-np.clip(prior + llr, -30, 30)))
    return llr


def _agreement_confidence(acoustic: np.ndarray, prior: np.ndarray, secs: np.ndarray,
                          s: AttributionSettings) -> float:
    """How well the held-out voice scores agree with what the cues say: 0 chance, 1 clear.

    Only utterances whose cues lean clearly one way count, and both roles must be among them.
    With one voice, the held-out scores scatter around zero and agree no better than chance.
    """
    side = np.sign(prior) * (np.abs(prior) >= 1.0)
    if (secs[side > 0].sum() < 0.5) or (secs[side < 0].sum() < 0.3):
        return 0.0
    w = np.minimum(secs, s.line_secs_cap) * np.minimum(1.0, np.abs(acoustic))
    # Agreement on each side separately, then the mean: voices that put everything on one side
    # (all lines "agent") agree with the agent lines only, which is chance, not evidence. A side
    # whose lines get no voice evidence at all counts as chance (0.5).
    agree = []
    for one in (1, -1):
        ws = w * (side == one)
        agree.append(float((ws * (np.sign(acoustic) == one)).sum() / ws.sum()) if ws.sum() > 0
                     else 0.5)
    agree_mean = float(np.mean(agree))
    return float(np.clip((agree_mean - s.agree_low) / (s.agree_high - s.agree_low), 0.0, 1.0))

