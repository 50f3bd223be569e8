"""What the recogniser would write for a real-voice piece whose source gives no transcript.

Why: a reference clip without a transcript gave the bench's two-voice calls lines with no text
at all, which the product never has on a real call (every line it attributes is one the
recogniser wrote). Role cues, questions and backchannels, and the speaking rate of the voice
model, then had nothing to read, so such calls measured attribution on evidence the product
does not lack. With ``--heard-text`` each such piece gets the product's own transcript of it,
heard on the same 8 kHz line as the call (`bench_mixdown.telephone`), kept in
``.cache/piece-text/<model>/`` by the piece's sha1 so a run transcribes each piece once. The
text is fed to the attribution only; no one reads it (held-out pieces are never printed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "piece-text"
SR = 16000
PAD_S = 0.3  # silence around a piece, as a pause around a line in a call


def piece_key(clip: np.ndarray) -> str:
    """The piece's cache key: sha1 of its float32 samples."""
    return hashlib.sha1(np.ascontiguousarray(clip, dtype=np.float32).tobytes()).hexdigest()


def fill_texts(pieces: list[tuple[np.ndarray, str]], hear: Callable[[np.ndarray], str],
               cache: Path) -> list[tuple[np.ndarray, str]]:
    """The pieces with every empty text replaced by ``hear(clip)``, through the cache in
    ``cache`` (one ``<key>.txt`` per piece); pieces that have a text keep it."""
    out = []
    for clip, text in pieces:
        if not text:
            where = cache / f"{piece_key(clip)}.txt"
            if where.is_file():
                text = where.read_text(encoding="utf-8")
            else:
                text = hear(clip)
                where.parent.mkdir(parents=True, exist_ok=True)
                where.write_text(text, encoding="utf-8")
        out.append((clip, text))
    return out


class ProductEars:
    """The product's recogniser on one piece: its utterances' texts joined (empty when it
    hears no speech). The model loads on the first piece."""

    def __init__(self) -> None:
        from auditor.pipeline import Auditor

        self._auditor = Auditor()

    def cache_dir(self) -> Path:
        """Where this recogniser's texts are kept: by a digest of what shapes what it hears."""
        from bench.asr_cache import hearing_digest

        return CACHE / hearing_digest(self._auditor.model_name)

    def __call__(self, clip: np.ndarray) -> str:
        from auditor.audio.decode import Audio
        from bench.bench_mixdown import telephone
        pad = np.zeros(int(PAD_S * SR), dtype=np.float32)
        y = telephone(np.concatenate([pad, clip.astype(np.float32), pad]))
        heard = self._auditor.hear(Audio(y[None, :], SR, 8000, "pcm_mulaw"))
        return "".join(str(u.get("text", "")) for u in heard.utterances or [])


def heard_voices(voices: dict[str, list[tuple[np.ndarray, str]]]
                 ) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Every voice's pieces with the product's text where the source gave none."""
    if not any(not t for pieces in voices.values() for _c, t in pieces):
        return voices
    ears = ProductEars()
    return {v: fill_texts(p, ears, ears.cache_dir()) for v, p in voices.items()}
