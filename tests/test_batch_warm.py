"""The batch's shared start-up: only the real auditor's pool is warmed, and the warm-up leaves
the process fit to fork (no model loaded, no native thread pool of the recogniser started)."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
from pathlib import Path

from auditor.batch import executor, pool
from tests.helpers import make_fake

REPO = Path(__file__).resolve().parent.parent


def test_only_the_real_auditor_factory_with_enough_workers_is_warmed_for() -> None:
    real = functools.partial(executor.build_auditor, model_dir=None, rules_dirs=(),
                             agent_channel=0, threads=1)
    assert pool._builds_real_auditor(real)
    assert pool._builds_real_auditor(executor.build_auditor)
    assert not pool._builds_real_auditor(make_fake())
    many = pool.WARM_MIN_WORKERS
    assert pool._worth_warming(many, real) and not pool._worth_warming(many - 1, real)
    assert not pool._worth_warming(many, make_fake())


def test_the_warm_up_does_the_first_use_work_and_loads_no_model() -> None:
    """In a fresh interpreter: after importing the warm module, jieba's tokenizer is cached,
    the rule packs' modules are loaded, and no WhisperModel or VAD session exists yet."""
    script = textwrap.dedent("""
        import gc, sys
        import auditor.batch.warm
        from auditor.compliance.tokens import _pos_tokenizer, tokenizer
        from faster_whisper import WhisperModel
        assert tokenizer.cache_info().currsize == 1, tokenizer.cache_info()
        assert _pos_tokenizer.cache_info().currsize == 1, _pos_tokenizer.cache_info()
        assert "librosa.feature.spectral" in sys.modules and "scipy.signal" in sys.modules
        assert "auditor.voice.pitch" in sys.modules and "librosa" in sys.modules
        assert not any(type(o) is WhisperModel for o in gc.get_objects())
        import faster_whisper.vad as vad
        assert vad.get_vad_model.cache_info().currsize == 0
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_a_failed_warm_up_says_so_in_one_sentence_and_the_import_still_succeeds() -> None:
    """In a fresh interpreter where one pipeline module cannot be imported: importing the warm
    module does not raise (each worker then starts up alone), and stderr says what failed."""
    script = textwrap.dedent("""
        import sys
        sys.modules["auditor.voice.pitch"] = None  # importing it now raises ImportError
        import auditor.batch.warm
        print("imported")
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "imported"
    lines = [line for line in out.stderr.splitlines() if "warm-up" in line]
    assert len(lines) == 1, out.stderr[-2000:]
    assert lines[0].startswith("The batch workers' shared warm-up failed (ModuleNotFoundError: ")
    assert "auditor.voice.pitch" in lines[0]
    assert lines[0].endswith("each worker does its own start-up instead (slower to start, "
                             "same results).")


def test_the_warm_up_failure_sentence_names_the_error_once() -> None:
    from auditor.batch.warm import failure_message

    msg = failure_message(OSError("no space left\nsecond line"))
    assert msg.startswith("The batch workers' shared warm-up failed (OSError: no space left);")
    assert "second line" not in msg and msg.count("\n") == 0
    assert "(RuntimeError)" in failure_message(RuntimeError())
