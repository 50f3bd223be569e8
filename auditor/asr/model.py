"""Find and load the local CTranslate2 Whisper model, once per process.

Nothing here may reach a model hub: the model is a local directory, by default
`models/whisper-base` (assembled by `make setup`), else `--model DIR` or `AUDITOR_MODEL`.
"""

from __future__ import annotations

import os
from pathlib import Path

from faster_whisper import WhisperModel

from auditor.core.errors import AuditorError

ENV_VAR = "AUDITOR_MODEL"
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_MODEL_DIR = PROJECT_ROOT / "models" / "whisper-base"
REQUIRED_FILES = ("model.bin", "config.json")


class ModelError(AuditorError):
    """The model is missing or broken, with one sentence that says how to fix it."""


def resolve_model_dir(model_dir: str | Path | None = None) -> Path:
    """The model directory: the argument, else $AUDITOR_MODEL, else models/whisper-base."""
    chosen = model_dir or os.environ.get(ENV_VAR) or DEFAULT_MODEL_DIR
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise ModelError(
            f"No Whisper model at {path}; run `make setup` to fetch the default model, "
            "or point --model / AUDITOR_MODEL at a CTranslate2 Whisper directory."
        )
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing or not any((path / n).is_file() for n in ("tokenizer.json", "vocabulary.txt")):
        what = ", ".join(missing) or "tokenizer.json"
        raise ModelError(
            f"The Whisper model at {path} is incomplete (missing {what}); run `make setup` "
            "to fetch it again, or point --model at a complete CTranslate2 Whisper directory."
        )
    return path


def model_name(path: Path) -> str:
    """A short name for the scorecard, e.g. `whisper-base`."""
    return path.resolve().name


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def cuda_available() -> bool:
    """True when CTranslate2 sees a CUDA device."""
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # noqa: BLE001 - no CUDA runtime at all is the common case
        return False


def load_model(model_dir: str | Path | None = None, threads: int | None = None
               ) -> tuple[WhisperModel, str]:
    """Load the Whisper model: GPU float16 when available, else CPU int8.

    `threads` defaults to all cores of this process (note: CTranslate2 reads 0 as 4).
    Returns the model and its short name.
    """
    path = resolve_model_dir(model_dir)
    if cuda_available():
        device, compute_type = "cuda", "float16"
    else:
        device, compute_type = "cpu", "int8"
    try:
        model = WhisperModel(
            str(path),
            device=device,
            compute_type=compute_type,
            cpu_threads=threads or available_cores(),
            local_files_only=True,
        )
    except Exception as exc:  # noqa: BLE001 - CTranslate2 raises plain RuntimeErrors
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"The Whisper model at {path} could not be loaded ({reason}); run `make setup` "
            "to fetch it again, or point --model at a working CTranslate2 Whisper directory."
        ) from None
    return model, model_name(path)
