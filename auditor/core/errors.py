"""The root of the auditor's own errors.

Every error the auditor raises on purpose derives from `AuditorError` and carries one sentence a
person can act on (as librosa's errors all derive from `ParameterError`'s root). Catch
`AuditorError` to handle any of them; the specific classes stay where their stage defines them.
"""

from __future__ import annotations


class AuditorError(Exception):
    """An error with one actionable sentence, raised on purpose by the auditor."""
