"""Clustering the voice vectors of a mono call into two voices.

A weighted two-means in numpy, and a parametric null (the d' that one voice would give) so that
two similar voices, or one voice, are not taken for two. Used by the speaker-change splitting
(windows) and by the attribution (its starting point when no text cue names a side).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from auditor.speakers.features import EMBED_INDEX
from auditor.speakers.settings import EmbeddingSettings

# Shared with the speaker-change splitting before decoding (changes.py), whose results key the
# recorded ASR cache: kept here, not in attribution.toml.
MIN_ITEMS = 4  # fewer utterances with audible speech than this: no voice evidence at all
LLR_CAP = 8.0  # no item's voice log-odds go beyond this (about 3000 : 1)


@dataclass
class VoiceModel:
    """Two clusters of voice vectors and the line that separates them."""

    center: np.ndarray
    scale: np.ndarray
    direction: np.ndarray  # unit vector from cluster 0 to cluster 1 (standardised space)
    m0: float
    m1: float
    sd: float
    dprime: float
    dprime_null: float
    blocks: Mapping[str, float]  # the block weights it was fitted with

    @property
    def excess(self) -> float:
        """How far d' exceeds what one voice would give (ratio; > 1 means two voices)."""
        return self.dprime / self.dprime_null if self.dprime_null > 0 else float("inf")

    def llr(self, vec: np.ndarray) -> float:
        """Log-odds that a vector belongs to cluster 1 rather than 0 (equal-variance Gaussians)."""
        z = standardise(vec[None, :], self.center, self.scale, self.blocks)[0]
        p = float(z @ self.direction)
        out = (self.m1 - self.m0) / self.sd**2 * (p - (self.m0 + self.m1) / 2)
        return float(np.clip(out, -LLR_CAP, LLR_CAP))


def standardise(x: np.ndarray, center: np.ndarray, scale: np.ndarray,
                blocks: Mapping[str, float]) -> np.ndarray:
    """Z-score each column, missing pitch counts as average, then weight pitch vs timbre.

    Blocks are weighted by ``block_weights``: timbre most, pitch and level weakly.
    """
    z = (x - center) / scale
    z = np.where(np.isnan(z), 0.0, z)
    return z * block_weights(x.shape[1], blocks)


def block_weights(n_columns: int, blocks: Mapping[str, float]) -> np.ndarray:
    """Column weights: each block of the voice vector gets a total weight, shared by its columns.

    The attribution's weights are attribution.toml's [blocks] (timbre strong; pitch and level,
    which shouting and emotion move, weak); the splitting before decoding has its own.
    """
    weights = np.ones(n_columns)
    for block, total in blocks.items():
        cols = EMBED_INDEX[block]
        n = len(range(*cols.indices(n_columns)))
        if n:
            weights[cols] = total / math.sqrt(n)
    return weights


def fit_voices(x: np.ndarray, w: np.ndarray, null_runs: int = 12, *,
               blocks: Mapping[str, float]) -> VoiceModel | None:
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
    z = standardise(x, center, scale, blocks)
    fit = _split(z, w)
    if fit is None:
        return None
    u, m0, m1, sd = fit
    dprime = abs(m1 - m0) / sd
    null = _null_dprime(z, w, null_runs) if null_runs else 0.0
    return VoiceModel(center, scale, u, m0, m1, sd, dprime, null, blocks)


def _split(z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float, float, float] | None:
    """Best weighted two-means partition: (unit direction, mean 0, mean 1, pooled sd)."""
    best: tuple[float, np.ndarray] | None = None
    for init in _initial_splits(z, w):
        fit = _two_means(z, w, init)
        if fit is None:
            continue
        labels, c = fit
        inertia = float((w * ((z - c[labels]) ** 2).sum(1)).sum())
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
    # A Cholesky root (any root gives the same Gaussian); a little ridge keeps it defined when a
    # column is constant. Far cheaper than an eigendecomposition.
    ridge = 1e-9 * max(1.0, float(np.trace(cov))) * np.eye(len(cov))
    root = np.linalg.cholesky(cov + ridge)
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


def _two_means(z: np.ndarray, w: np.ndarray, labels: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """Weighted Lloyd iterations from ``labels``: final labels and the two centroids."""
    sq = (z**2).sum(1)
    c = np.zeros((2, z.shape[1]))
    for _ in range(30):
        one = labels == 1
        if one.all() or not one.any():
            return None
        w1, w0 = w * one, w * ~one
        c = np.stack([w0 @ z / w0.sum(), w1 @ z / w1.sum()])
        d = sq[:, None] - 2.0 * z @ c.T + (c**2).sum(1)[None, :]
        new = d.argmin(1)
        if np.array_equal(new, labels):
            break
        labels = new
    if labels.min() == labels.max():
        return None
    one = labels == 1
    w1, w0 = w * one, w * ~one
    return labels, np.stack([w0 @ z / w0.sum(), w1 @ z / w1.sum()])


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



# --------------------------------------------------------------------------- speaker embeddings


def split_embeddings(x: np.ndarray, w: np.ndarray, s: EmbeddingSettings
                     ) -> tuple[float, np.ndarray] | None:
    """Two voices among unit speaker embeddings (``encoder.embed_spans``): how clearly, and
    each item's log-odds of the second voice.

    A weighted spherical two-means (cosine to the two centres), started from the least similar
    pair and the first principal axis, scored by ``score_split``. None with fewer than
    ``s.min_items`` items or no split at all. ``s``: attribution.toml's [embeddings].
    """
    if len(x) < s.min_items:
        return None
    labels = _two_means_labels(x, w)
    return None if labels is None else score_split(x, w, labels, s)


def embedding_splits(x: np.ndarray, w: np.ndarray, s: EmbeddingSettings
                     ) -> list[tuple[float, np.ndarray]]:
    """The candidate two-voice splits of the embeddings, each as ``score_split`` gives it: the
    spherical two-means' (``split_embeddings``) and average linkage's (``average_linkage_two``).

    The two fail differently. Two-means balances its clusters, so when one party's lines come
    from two recordings and the other party says little, it cuts the first party in two; average
    linkage merges the closest lines first (each recording, then one party's recordings) and
    keeps a party that speaks once apart, but can leave one odd line as a cluster of its own.
    The caller keeps whichever is the clearer two voices.
    """
    if len(x) < s.min_items:
        return []
    out = []
    for labels in (_two_means_labels(x, w), average_linkage_two(x @ x.T)):
        if labels is not None and labels.any() and not labels.all():
            out.append(score_split(x, w, labels, s))
    return out


def _two_means_labels(x: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The best weighted spherical two-means partition (True = second cluster), or None."""
    sim = x @ x.T
    i, j = np.unravel_index(int(np.argmin(sim)), sim.shape)
    inits = [sim[:, j] > sim[:, i]]
    xc = x - (w[:, None] * x).sum(0) / w.sum()
    _, _, vt = np.linalg.svd(xc * np.sqrt(w)[:, None], full_matrices=False)
    inits.append(xc @ vt[0] > 0)
    best: tuple[float, np.ndarray] | None = None
    for labels in inits:
        for _ in range(20):
            if labels.all() or not labels.any():
                break
            c = _unit(_cluster_sums(x, w, labels))
            new = x @ c[1] > x @ c[0]
            if np.array_equal(new, labels):
                break
            labels = new
        if labels.all() or not labels.any():
            continue
        c = _unit(_cluster_sums(x, w, labels))
        score = float((w * np.where(labels, x @ c[1], x @ c[0])).sum())
        if best is None or score > best[0]:
            best = (score, labels)
    return None if best is None else best[1]


def average_linkage_two(sim: np.ndarray) -> np.ndarray | None:
    """Agglomerative clustering by mean cosine (average linkage) down to two clusters, from the
    items' cosine matrix: True for the items of the cluster without item 0; None for one item.

    The clusters' mean cosines are kept in one matrix and updated at each merge (the mean over
    A+B is the size-weighted mean of A's and B's), so a call of n lines costs n matrix passes,
    not a mean over every pair of clusters at every step (seconds on a long call)."""
    n = len(sim)
    if n < 2:
        return None
    s = np.array(sim, dtype=np.float64)
    size = np.ones(n)
    active = np.ones(n, dtype=bool)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    owner = np.arange(n)  # the cluster each item is in, named by its first item
    for _ in range(n - 2):
        cand = np.where(upper & active[:, None] & active[None, :], s, -np.inf).ravel()
        flat = cand.size - 1 - int(np.argmax(cand[::-1]))  # ties: the last pair, as max() did
        i, j = divmod(flat, n)
        merged = (size[i] * s[i] + size[j] * s[j]) / (size[i] + size[j])
        s[i, :] = merged
        s[:, i] = merged
        size[i] += size[j]
        active[j] = False
        owner[owner == j] = i
    return owner != owner[0]


def score_split(x: np.ndarray, w: np.ndarray, labels: np.ndarray, s: EmbeddingSettings
                ) -> tuple[float, np.ndarray]:
    """A split's clarity from how far apart its centres are, and each item's log-odds of the
    second cluster.

    Clarity is 1.0 at a centre cosine of ``s.cos_clear`` or less, 0.0 at ``s.cos_one`` or more
    (the range where, on the tuning calls, the split matched the parties or did not). Each item
    is scored against centres fitted *without it* (leave-one-out), so one odd line cannot make
    its own cluster; a line alone in its cluster is compared with the other centre and
    ``s.same_cos``, the cosine one speaker's lines typically have.
    """
    c = _unit(_cluster_sums(x, w, labels))
    cos = float(c[0] @ c[1])
    clarity = float(np.clip((s.cos_one - cos) / (s.cos_one - s.cos_clear), 0, 1))
    sums = _cluster_sums(x, w, labels)
    llr = np.zeros(len(x))
    for k in range(len(x)):
        mine = int(labels[k])
        own = sums.copy()
        own[mine] -= w[k] * x[k]
        ck = _unit(own)
        sims = x[k] @ ck.T
        if np.linalg.norm(own[mine]) < 1e-9:
            sims[mine] = s.same_cos
        llr[k] = s.llr_scale * float(sims[1] - sims[0])
    return clarity, np.clip(llr, -LLR_CAP, LLR_CAP)


def calibrated_leans(llr: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A split's leave-one-out scores as log-odds on the call's own scale.

    ``split_embeddings`` scores a line by ``llr_scale`` times its cosine difference to the two
    centres: one scale for every call. Two similar but tight voices lean little in absolute
    terms yet never cross, and were left unknown however clearly the split followed them. So the
    scores are read as two Gaussians of one pooled spread, one per side of the split (a
    discriminant on the call's own lines, as ``fit_voices`` does for the windows): lines far
    beyond the overlap are sure, lines in it are not. ``w`` are the lines' weights.
    """
    side = llr > 0
    if side.all() or not side.any():
        return llr
    m1, m0 = _wmean(llr[side], w[side]), _wmean(llr[~side], w[~side])
    var = (_wvar(llr[side], w[side]) * w[side].sum()
           + _wvar(llr[~side], w[~side]) * w[~side].sum()) / w.sum()
    sd = max(math.sqrt(var), 0.05 * abs(m1 - m0), 1e-3)
    return np.clip((m1 - m0) / sd**2 * (llr - (m1 + m0) / 2), -LLR_CAP, LLR_CAP)


def _cluster_sums(x: np.ndarray, w: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(2, dim): the weighted sums of the items of cluster 0 and of cluster 1."""
    return np.stack([(w[~labels, None] * x[~labels]).sum(0), (w[labels, None] * x[labels]).sum(0)])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
