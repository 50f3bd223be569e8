"""Finding the recordings of a batch, and what the parent knows of each before auditing it.

Why one module: a recording may be a local file or an fsspec URL read by a cluster's workers,
and finding, sizing and hashing must treat both alike. The call id is the sha256 of the file's
bytes (``auditor.core.hashing``), computed ONCE, here, by the parent; workers are handed it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditor.audio.decode import AUDIO_EXTENSIONS
from auditor.core.errors import AuditorError
from auditor.core.hashing import file_sha256


class BatchError(AuditorError):
    """The batch cannot start; the message says what to fix."""


def find_recordings(
    paths: Iterable[str | Path], extensions: Iterable[str] = AUDIO_EXTENSIONS
) -> list[Path]:
    """Recordings under ``paths``: folders searched recursively by extension, files as given.

    A string with ``://`` is an fsspec URL (for a cluster's workers) and comes back as a string.

    Hidden files and folders (``.something``) are skipped. Raises ``BatchError`` for a path
    that does not exist, so a typo in a cron job fails loudly instead of auditing nothing.
    """
    exts = {e.lower() if e.startswith(".") else "." + e.lower() for e in extensions}
    found: dict[str, Any] = {}
    for raw in paths:
        if is_url(raw):  # read by a cluster's workers through fsspec (auditor.batch.cluster)
            for url in _find_urls(str(raw), exts):
                found.setdefault(url, url)
            continue
        p = Path(raw)
        if p.is_file():
            found.setdefault(str(p), p)
        elif p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith(".") and Path(name).suffix.lower() in exts:
                        f = Path(dirpath) / name
                        found.setdefault(str(f), f)
        else:
            raise BatchError(f"{p} does not exist; give a recording or a folder of recordings")
    return sorted(found.values(), key=lambda f: (0, f) if isinstance(f, Path) else (1, str(f)))


def is_url(path: str | Path) -> bool:
    """True for an fsspec URL such as ``s3://bucket/calls`` (a local ``Path`` never is)."""
    return isinstance(path, str) and "://" in path


def _find_urls(url: str, exts: set[str]) -> list[str]:
    """Recordings at an fsspec URL: a file as given, a folder searched by extension."""
    try:
        import fsspec
    except ImportError as exc:
        raise BatchError(f"{url}: reading URLs needs fsspec (pip install fsspec)") from exc
    try:
        fs, root = fsspec.core.url_to_fs(url)
        if fs.isfile(root):
            return [url]
        if not fs.isdir(root):
            raise BatchError(f"{url} does not exist; give a recording or a folder of recordings")
        names = [
            f
            for f in fs.find(root)
            if Path(f).suffix.lower() in exts
            and not any(part.startswith(".") for part in f[len(root) :].split("/"))
        ]
    except (OSError, ValueError, ImportError) as exc:
        raise BatchError(f"{url} cannot be listed ({type(exc).__name__}: {exc})") from exc
    return sorted(fs.unstrip_protocol(f) for f in names)


def open_bytes(path: str | Path) -> Any:
    """A binary file object for a local path or an fsspec URL."""
    if is_url(path):
        import fsspec

        return fsspec.open(str(path), "rb").open()
    return open(path, "rb")


def file_size(path: str | Path) -> int:
    """Size in bytes of a local path or an fsspec URL."""
    if is_url(path):
        import fsspec

        fs, root = fsspec.core.url_to_fs(str(path))
        return int(fs.size(root))
    return Path(path).stat().st_size


def sha256_file(path: str | Path) -> str:
    """The call id of a recording: the sha256 of its bytes; ``path`` may be an fsspec URL."""
    return file_sha256(path, opener=open_bytes if is_url(path) else None)
