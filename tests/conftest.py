"""Shared fixtures: small synthetic recordings written on the fly, the sample calls, the
fake auditor patched into the batch, the built-in rule set and the script-step recognisers. The
plain helpers they use are in ``tests/helpers.py``; import helpers from there, not from this
file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from auditor.batch import executor as batch
from tests.helpers import ROOT, SAMPLES, fake_build_auditor, sample_calls, tone

# Re-exported for the modules that still import them from here; new code uses tests.helpers.
__all__ = ["ROOT", "SAMPLES", "sample_calls", "tone"]


@pytest.fixture(scope="session", autouse=True)
def _private_disk_cache(tmp_path_factory: pytest.TempPathFactory):
    """The tests' processes (and the workers they start) keep derived data in a folder of their
    own (auditor/core/cache.py), never in the user's cache: each test run starts cold."""
    import os

    from auditor.core.cache import ENV_VAR

    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(tmp_path_factory.mktemp("auditor-cache"))
    yield
    if before is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = before


@pytest.fixture
def tone_factory() -> Callable[..., np.ndarray]:
    """``tone(seconds, rate, freq=220.0, amp=0.3)``: a sine stand-in for a voice."""
    return tone


@pytest.fixture
def fake_batch_auditor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The batch builds the fake auditor instead of the real one (as `auditor run` does);
    returns the log file where each audit writes one line (see ``helpers.audited``)."""
    log = tmp_path / "audit.log"
    monkeypatch.setattr(batch, "build_auditor", fake_build_auditor)
    monkeypatch.setenv("FAKE_AUDIT_LOG", str(log))
    return log


@pytest.fixture(scope="session")
def rules():
    """The built-in rule packs (immutable; loaded once for the session)."""
    from auditor.compliance.rules import load_rules

    return load_rules()


@pytest.fixture(scope="session")
def rec():
    """The script-step recognisers of the default evidence settings."""
    from auditor.compliance.evidence import default_evidence
    from auditor.compliance.steps import _recognisers

    return _recognisers(default_evidence())
