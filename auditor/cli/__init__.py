"""The `auditor` command line: thin click commands over the library."""

from auditor.cli.main import cli

__all__ = ["cli"]
