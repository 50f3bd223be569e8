"""Start-up work done once for all the workers of a batch, in the process they are forked from.

Why: every batch worker used to pay the same start-up on its own before its first call was done:
importing the audio, speech and rule libraries, loading jieba's dictionary, compiling the pitch
tracker's numba kernels and compiling the rule packs' patterns (about 9 CPU seconds a worker
on the 2-core bench machine, building the auditor and its first call's extra; a 36 s call
costs about 9 CPU seconds to audit). The batch's
workers are forked from one forkserver process; ``auditor.batch.pool`` asks it to import this
module first (``set_forkserver_preload``), so that work is done once there and every worker
inherits the result (copy-on-write memory), then builds its own auditor (model, rules) as before.
It costs the forkserver about 8 CPU s and saves each worker about 4 s, so the pool uses it from
``pool.WARM_MIN_WORKERS`` workers on.

What is not done here: nothing that starts threads or native thread pools (the Whisper model, the
VAD's ONNX session), which must not be inherited across a fork. Importing this module anywhere
else does the same warm-up and is harmless (it is just slower to import).
"""

from __future__ import annotations

import sys


def warm_up() -> None:
    """Import the pipeline's libraries and run each cached first-use step once (idempotent)."""
    import numpy as np

    import auditor.analysis
    import auditor.asr.model
    import auditor.asr.transcribe
    import auditor.compliance.audit
    import auditor.outcome
    import auditor.pipeline
    import auditor.speakers.attribution
    import auditor.voice.metrics  # noqa: F401 - imported for its (costly) import side effects
    from auditor.compliance.tokens import person_names, tokenizer
    from auditor.speakers.features import voice_frames
    from auditor.voice.pitch import track

    tokenizer()  # jieba's dictionary and the user dictionary, cached for the process
    person_names("麻烦你跟王磊讲一声")  # jieba's part-of-speech tags (about 1 s to load)
    rate = 8000
    t = np.arange(rate, dtype=np.float32) / rate
    tone = (0.1 * np.sin(2 * np.pi * 150.0 * t)).astype(np.float32)
    track(tone, rate)  # numba kernels
    voice_frames(tone, rate)  # a mono call's features: librosa's lazily imported spectral
    # module and scipy.signal (about 2.5 s to import on first use)
    auditor.analysis.Analyser()  # the rule packs' patterns land in `re`'s compiled cache


def failure_message(exc: BaseException) -> str:
    """The one sentence printed when the shared warm-up fails (the batch still runs)."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
    return (
        f"The batch workers' shared warm-up failed ({what}); each worker does its own "
        "start-up instead (slower to start, same results)."
    )


try:
    warm_up()
except Exception as exc:  # noqa: BLE001 - a failed warm-up only means each worker does it itself
    # Printed by the forkserver, whose stderr is the batch's: visible once, never fatal.
    print(failure_message(exc), file=sys.stderr, flush=True)
