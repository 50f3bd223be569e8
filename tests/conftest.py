"""Shared fixtures: small synthetic recordings written on the fly, and the sample calls."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "calls"


def tone(seconds: float, rate: int, freq: float = 220.0, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def sample_calls() -> list[Path]:
    """Every sample recording that has a truth file beside it."""
    calls = []
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        name = json.loads(truth.read_text(encoding="utf-8"))["file"]
        calls.append(SAMPLES / name)
    return calls


@pytest.fixture
def tone_factory():
    return tone
