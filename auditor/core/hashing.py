"""The call's identity: the sha256 of the recording's bytes, stable across renames."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1 << 20


def sha256_stream(stream: BinaryIO, chunk: int = CHUNK) -> str:
    """Hex sha256 of everything left in a binary stream."""
    digest = hashlib.sha256()
    while block := stream.read(chunk):
        digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | Path, opener: Callable[[Any], BinaryIO] | None = None) -> str:
    """Hex sha256 of a file's bytes (the call id). `opener` opens non-local paths (fsspec)."""
    if opener is None:
        with open(path, "rb") as fh:
            return sha256_stream(fh)
    with opener(path) as fh:
        return sha256_stream(fh)
