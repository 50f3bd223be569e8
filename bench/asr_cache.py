"""The recogniser's output kept between benchmark runs, for work on what comes after it.

Transcribing the sample calls takes most of `make eval`'s time, yet rules, steps, attribution
and outcome work change nothing the recogniser hears. With ``--reuse-asr`` the evaluation keeps
each call's `Heard` (utterances with their confidence, the recogniser's summary) in
``.cache/asr/`` (or ``$AUDITOR_ASR_CACHE``), keyed by the recording's sha256 and a digest of
every source and setting that shapes what is heard: the audio and asr packages, the speaker-change
splitting with the voice features and the voice clustering it uses, the pipeline,
``config/asr.toml``, the jieba tokeniser and user dictionary that weigh the beam's readings, and
the model's name. Change any of them and the
calls are transcribed again. Voice features are recomputed from the audio (cheap, and not JSON).
The figures a change is judged by are made without the cache (plain ``make eval``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from auditor.audio.decode import Audio
from auditor.core.hashing import file_sha256
from auditor.core.scorecard import AsrInfo
from auditor.pipeline import Heard
from auditor.speakers.features import voice_frames

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "auditor"
# speakers/voices.py: the speaker-change splitting cuts where its two-voice fit says (fit_voices);
# compliance/tokens.py and its user dictionary: the word frequencies that weigh the beam's
# readings (asr/lexicon.py)
SHAPING = ("audio/*.py", "asr/*.py", "speakers/changes.py", "speakers/features.py",
           "speakers/voices.py", "pipeline.py", "config/asr.toml", "compliance/tokens.py",
           "compliance/data/userdict.txt")


def cache_dir() -> Path:
    """Where the kept output lives: $AUDITOR_ASR_CACHE, else .cache/asr in the checkout."""
    return Path(os.environ.get("AUDITOR_ASR_CACHE") or ROOT / ".cache" / "asr")


def hearing_digest(model_name: str) -> str:
    """A digest of everything that shapes what the recogniser hears (see the module doc)."""
    h = hashlib.sha256(model_name.encode())
    for pattern in SHAPING:
        for path in sorted(PACKAGE.glob(pattern)):
            h.update(path.relative_to(PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def heard(auditor, path: Path, audio: Audio, digest: str) -> Heard:
    """The call's `Heard`, from the cache when this recording was heard by the same code."""
    where = cache_dir() / digest / f"{file_sha256(path)}.json"
    audio, _ = auditor.one_signal_as_mono(audio)  # heard as audit_audio hears it
    if where.is_file():
        kept = json.loads(where.read_text(encoding="utf-8"))
        frames = voice_frames(audio.samples[0], audio.sample_rate) if audio.channels < 2 else None
        asr = AsrInfo(**kept["asr"]) if kept["asr"] else None
        return Heard(kept["utterances"], asr, frames)
    result = auditor.hear(audio)
    where.parent.mkdir(parents=True, exist_ok=True)
    asr = dataclasses.asdict(result.asr) if result.asr else None
    tmp = where.with_suffix(".tmp")
    tmp.write_text(json.dumps({"utterances": result.utterances, "asr": asr},
                              ensure_ascii=False), encoding="utf-8")
    tmp.replace(where)
    return result
