"""What the recogniser would write for a real-voice piece whose source gives no transcript.

Why: a reference clip without a transcript gave the bench's two-voice calls lines with no text
at all, which the product never has on a real call (every line it attributes is one the
recogniser wrote). Role cues, questions and backchannels, and the speaking rate of the voice
model, then had nothing to read, so such calls measured attribution on evidence the product
does not lack. With ``--heard-text`` each such piece gets the product's own transcript of it,
heard on the same 8 kHz line as the call (`bench_mixdown.telephone`), kept in
``.cache/piece-text/<model>/`` by the piece's sha1 so a run transcribes each piece once. The
text is fed to the attribution only; no one reads it (held-out pieces are never printed).

The recogniser's confidence in what it heard comes with the text (`confidence_of`): the product
weighs every line's role cues by it (``attribution._asr_confidence``), so a line of heard text
without it counted its cues as if the recogniser were sure of every word, which it never is on
a narrow-band line (0.2-0.9 on the tuning voices' pieces).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "piece-text"
SR = 16000
PAD_S = 0.3  # silence around a piece, as a pause around a line in a call
# The recogniser's confidence in each heard piece, by piece key (`fill_texts` fills it).
_CONFIDENCE: dict[str, float] = {}


def piece_key(clip: np.ndarray) -> str:
    """The piece's cache key: sha1 of its float32 samples."""
    return hashlib.sha1(np.ascontiguousarray(clip, dtype=np.float32).tobytes()).hexdigest()


def fill_texts(pieces: list[tuple[np.ndarray, str]],
               hear: Callable[[np.ndarray], tuple[str, float | None]],
               cache: Path) -> list[tuple[np.ndarray, str]]:
    """The pieces with every empty text replaced by the text ``hear(clip)`` gives, through the
    cache in ``cache`` (one ``<key>.json`` per piece: text and confidence); pieces that have a
    text keep it. The confidence ``hear`` gives (None: unknown) is kept for `confidence_of`."""
    out = []
    for clip, text in pieces:
        if not text:
            key = piece_key(clip)
            where = cache / f"{key}.json"
            if where.is_file():
                doc = json.loads(where.read_text(encoding="utf-8"))
                text, confidence = str(doc["text"]), doc.get("confidence")
            else:
                text, confidence = hear(clip)
                where.parent.mkdir(parents=True, exist_ok=True)
                where.write_text(json.dumps({"text": text, "confidence": confidence},
                                            ensure_ascii=False), encoding="utf-8")
            if confidence is not None:
                _CONFIDENCE[key] = float(confidence)
        out.append((clip, text))
    return out


def confidence_of(clip: np.ndarray) -> float | None:
    """The recogniser's confidence in a piece `fill_texts` gave heard text (None otherwise)."""
    return _CONFIDENCE.get(piece_key(clip)) if _CONFIDENCE else None


def heard_confidence(utterances: list[dict]) -> float | None:
    """One confidence for a piece heard as ``utterances``: theirs weighted by their length (the
    product gives each of its lines its own; a piece is one line of the bench's calls). None
    when no utterance has one."""
    known = [(max(0.0, float(u["end"]) - float(u["start"])), float(u["confidence"]))
             for u in utterances if u.get("confidence") is not None]
    total = sum(w for w, _c in known)
    if not known:
        return None
    if total <= 0.0:
        return sum(c for _w, c in known) / len(known)
    return sum(w * c for w, c in known) / total


class ProductEars:
    """The product's recogniser on one piece: its utterances' texts joined (empty when it
    hears no speech) and their confidence (`heard_confidence`). The model loads on the first
    piece."""

    def __init__(self) -> None:
        from auditor.pipeline import Auditor

        self._auditor = Auditor()

    def cache_dir(self) -> Path:
        """Where this recogniser's texts are kept: by a digest of what shapes what it hears."""
        from bench.asr_cache import hearing_digest

        return CACHE / hearing_digest(self._auditor.model_name)

    def __call__(self, clip: np.ndarray) -> tuple[str, float | None]:
        from auditor.audio.decode import Audio
        from bench.bench_mixdown import telephone
        pad = np.zeros(int(PAD_S * SR), dtype=np.float32)
        y = telephone(np.concatenate([pad, clip.astype(np.float32), pad]))
        heard = self._auditor.hear(Audio(y[None, :], SR, 8000, "pcm_mulaw"))
        utterances = heard.utterances or []
        return ("".join(str(u.get("text", "")) for u in utterances),
                heard_confidence(utterances))


def heard_voices(voices: dict[str, list[tuple[np.ndarray, str]]]
                 ) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Every voice's pieces with the product's text where the source gave none."""
    if not any(not t for pieces in voices.values() for _c, t in pieces):
        return voices
    ears = ProductEars()
    return {v: fill_texts(p, ears, ears.cache_dir()) for v, p in voices.items()}
