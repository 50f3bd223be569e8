"""Reviewers who sign in: a token per reviewer, stored hashed, checked on every request.

Why this shape: a token is 32 random bytes (``secrets.token_urlsafe``), so a fast salted hash
is enough to keep a stolen database from yielding working tokens (a slow hash such as scrypt
protects guessable passwords; a random token cannot be guessed), and checking it on every audio
range request stays cheap. A token reads ``<reviewer id>.<secret>``: the id finds the one row
to check, the secret is compared with ``hmac.compare_digest`` against ``sha256(salt + secret)``.
The token is shown once, when the reviewer is added; the database never holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from auditor.review.verdicts import MAX_REVIEWER, ReviewError
from auditor.store.db import Store

_NAME = re.compile(r"[^\s\x00-\x1f]([^\x00-\x1f]*[^\s\x00-\x1f])?")


def hash_secret(salt: str, secret: str) -> str:
    """The stored form of a token's secret: hex sha256 of the salt and the secret."""
    return hashlib.sha256((salt + secret).encode("utf-8")).hexdigest()


def add_reviewer(store: Store, name: str) -> str:
    """Create a reviewer and return their token (shown once; only its hash is stored)."""
    name = name.strip()
    if not name or len(name) > MAX_REVIEWER or not _NAME.fullmatch(name):
        raise ReviewError(
            f"a reviewer's name is 1 to {MAX_REVIEWER} printable characters, not {name!r}"
        )
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    reviewer_id = store.add_reviewer(name, salt, hash_secret(salt, secret))
    return f"{reviewer_id}.{secret}"


def authenticate(store: Store, token: str | None) -> str | None:
    """The name of the reviewer whose token this is, or None (unknown, removed or malformed)."""
    if not token or "." not in token or len(token) > 200:
        return None
    id_text, secret = token.split(".", 1)
    if not id_text.isdigit():
        return None
    row = store.reviewer(int(id_text))
    if row is None:
        return None
    if not hmac.compare_digest(hash_secret(row["salt"], secret), row["token_hash"]):
        return None
    return str(row["name"])


def list_reviewers(store: Store) -> list[dict[str, Any]]:
    """Every reviewer (id, name, created_at); no token material."""
    return store.reviewers()


def remove_reviewer(store: Store, name: str) -> None:
    """Remove a reviewer: their token stops working at once; their verdicts stay signed."""
    if not store.remove_reviewer(name.strip()):
        raise ReviewError(f"there is no reviewer named {name!r}; `auditor reviewers list`")
