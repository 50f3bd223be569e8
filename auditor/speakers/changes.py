"""Speaker changes inside VAD stretches of a mono call, found before decoding.

One decoded stretch should never hold both voices: sliding 1 s windows over all stretches are
clustered into two voices (``voices.fit_voices``) and a stretch is cut where the window evidence
flips clearly. Conservative, since over-splitting costs ASR context.
"""

from __future__ import annotations

import numpy as np

from auditor.speakers.features import FRAME_RATE, VoiceFrames, embed
from auditor.speakers.voices import MIN_ITEMS, fit_voices

WIN_S, WIN_HOP_S = 1.0, 0.25
SPLIT_SEP_MIN = 1.5  # excess d' on windows below this: not clearly two voices, no splits
SPLIT_MIN_PART_S = 0.8  # each side of a cut holds at least this much
SPLIT_MIN_LLR = 2.0  # mean window log-odds on each side of a cut
SPLIT_REFINE_S = 0.3  # a cut moves to the quietest frame within this distance
# Block weights of the window clustering before decoding: pitch, level and cepstral means as
# the splitting was tuned with (its thresholds assume them); the attribution's timbre blocks
# (deltas, long-term spectrum) are left out here.
SPLIT_BLOCKS = {"pitch": 1.0, "level": 0.5, "mfcc": 1.2, "delta": 0.0, "ltas": 0.0}


def split_at_speaker_changes(
    frames: VoiceFrames, regions: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Split VAD stretches where the voice changes inside them (before ASR decoding).

    ``frames`` are the call's features from ``features.voice_frames`` (computed once per call
    and reused by the attribution after decoding).

    Sliding 1 s windows over all stretches are clustered into two voices; inside a stretch, a cut
    is made only where the window evidence flips clearly and each side holds at least 0.8 s, and
    the cut moves to the quietest frame nearby. If the call does not look like two clearly
    different voices, nothing is split (over-splitting costs ASR context).
    """
    regions = [(float(a), float(b)) for a, b in regions]
    if not regions:
        return []
    wins: list[tuple[int, float, np.ndarray, float]] = []  # (region index, centre, vec, seconds)
    for ri, (a, b) in enumerate(regions):
        for c in _window_centres(a, b):
            e = embed(frames, max(a, c - WIN_S / 2), min(b, c + WIN_S / 2))
            if e is not None:
                wins.append((ri, c, e[0], e[1]))
    if len(wins) < 2 * MIN_ITEMS:
        return regions
    x = np.stack([v for _, _, v, _ in wins])
    w = np.array([s for *_, s in wins])
    model = fit_voices(x, w, blocks=SPLIT_BLOCKS)
    if model is None or model.excess < SPLIT_SEP_MIN:
        return regions
    llrs = np.array([model.llr(v) for _, _, v, _ in wins])
    out: list[tuple[float, float]] = []
    for ri, (a, b) in enumerate(regions):
        sel = [k for k, win in enumerate(wins) if win[0] == ri]
        centres = np.array([wins[k][1] for k in sel])
        cuts = _cuts(a, b, centres, llrs[sel], frames) if b - a >= 2 * SPLIT_MIN_PART_S else []
        edges = [a, *cuts, b]
        out.extend((edges[k], edges[k + 1]) for k in range(len(edges) - 1))
    return out


def _window_centres(a: float, b: float) -> list[float]:
    if b - a <= WIN_S:
        return [(a + b) / 2]
    n = int((b - a - WIN_S) / WIN_HOP_S) + 1
    return [a + WIN_S / 2 + k * WIN_HOP_S for k in range(n)] + [b - WIN_S / 2]


def _cuts(a: float, b: float, centres: np.ndarray, llr: np.ndarray, fr: VoiceFrames
          ) -> list[float]:
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


def _quietest(t: float, fr: VoiceFrames) -> float:
    """The quietest frame within SPLIT_REFINE_S of t: speakers rarely change mid-syllable."""
    a = max(0, int((t - SPLIT_REFINE_S) * FRAME_RATE))
    b = min(len(fr.energy_db), int((t + SPLIT_REFINE_S) * FRAME_RATE) + 1)
    if b <= a:
        return t
    e = np.convolve(fr.energy_db[a:b], np.ones(3) / 3, mode="same")
    return (a + int(np.argmin(e))) / FRAME_RATE
