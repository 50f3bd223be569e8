"""Stage benchmarks run by bench.py after transcription: each takes the loaded Auditor and the
transcription results, prints its section and returns figures for the summary."""

from __future__ import annotations

BENCHES: list = []
