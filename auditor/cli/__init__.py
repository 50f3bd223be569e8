"""The `auditor` command line: thin click commands over the library, one module per group.

``cli`` (the console script ``auditor.cli:cli``) is loaded on first use rather than at import,
so ``python -m auditor.cli.main`` runs without the package having imported that module first.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cli"]


def __getattr__(name: str) -> Any:
    """``auditor.cli.cli``: the command group of ``auditor.cli.main``."""
    if name == "cli":
        from auditor.cli.main import cli

        return cli
    raise AttributeError(f"module 'auditor.cli' has no attribute {name!r}")
