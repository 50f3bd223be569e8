"""The one on-disk cache of derived data: arrays the product can always compute again, kept so
that each process does not compute them again.

Why: every process that audits (each batch worker, each ``auditor check``) builds the same
derived data from the same files, e.g. the example layer's fitted model (about 1.2 CPU s on
the 2-core bench machine, for each worker of a batch). Kept on disk under a key that
names everything the result depends on (the files' bytes, the settings, the code that computes
it), it is computed once per change of its inputs, as jieba keeps its dictionary.

Where: ``$AUDITOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/call-auditor``, else
``~/.cache/call-auditor``. ``AUDITOR_CACHE_DIR=off`` turns the cache off. Entries are ``.npz``
files of plain arrays, read without pickle (``allow_pickle=False``), written atomically (a
temporary file renamed into place, so two workers writing the same key at once are harmless).
The cache can never change a result or fail an audit: an entry that cannot be read or written
is a miss, and the caller computes the value as if there were no cache. Deleting the folder at
any time is safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

ENV_VAR = "AUDITOR_CACHE_DIR"
OFF = "off"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when ``AUDITOR_CACHE_DIR=off``."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env.lower() == OFF:
        return None
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    except RuntimeError:  # no home folder to be found: no cache, never an error
        return None
    return base / "call-auditor"


def source_digest(*files: str | Path) -> str:
    """A short digest of source files' bytes: part of a key, so that a change to the code that
    computes an entry makes a new entry."""
    h = hashlib.sha256()
    for f in files:
        h.update(Path(f).read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _path(kind: str, key: str) -> Path | None:
    if not (_KEY.match(kind) and _KEY.match(key)):
        raise ValueError(f"cache kind and key must be lower-case names, not {kind!r}/{key!r}")
    d = cache_dir()
    return None if d is None else d / kind / f"{key}.npz"


def load_arrays(kind: str, key: str) -> dict[str, np.ndarray] | None:
    """The arrays stored under ``kind``/``key``, or None (no entry, cache off, unreadable)."""
    path = _path(kind, key)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None  # a torn or foreign file is a miss; the next store replaces it


def store_arrays(kind: str, key: str, arrays: Mapping[str, np.ndarray]) -> bool:
    """Store arrays under ``kind``/``key`` atomically; False when it could not be done (the
    cache is off, or the folder cannot be written), which is never an error."""
    path = _path(kind, key)
    if path is None:
        return False
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **{name: np.asarray(a) for name, a in arrays.items()})
        os.replace(tmp, path)
        return True
    except (OSError, ValueError):
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
