"""The speaker encoder (d-vectors), its clustering, and how the attribution uses them.

Fast tests run the numpy network on random weights of the real shapes (the network is the same
code whatever the weights); the ones marked e2e load the fetched weights (``make setup``).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from auditor.speakers import encoder
from auditor.speakers.attribution import _changes_heard, attribute, lean_clarity
from auditor.speakers.features import voice_frames
from auditor.speakers.settings import load_attribution_settings
from auditor.speakers.voices import split_embeddings

SETTINGS = load_attribution_settings()

SR = 16000
ROOT = Path(__file__).resolve().parents[1]


def _random_encoder(seed: int = 0) -> encoder.Encoder:
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.1).astype(np.float32)

    ins = (40, 256, 256)
    return encoder.Encoder(tuple(w(n, 1024) for n in ins), tuple(w(256, 1024) for _ in ins),
                           tuple(w(1024) for _ in ins), w(256, 256), w(256))


def _directions(seed: int, n: int, base: np.ndarray, spread: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = base[None, :] + spread * rng.standard_normal((n, base.size))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_forward_gives_one_unit_vector_per_partial():
    enc = _random_encoder()
    mels = np.random.default_rng(1).random((3, 160, 40)).astype(np.float32)
    out = encoder.forward(enc, mels)
    assert out.shape == (3, 256)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert (out >= 0).all()  # a ReLU before the norm, as the network was trained


def test_embed_spans_skips_spans_too_short_and_batches_the_rest():
    rng = np.random.default_rng(2)
    y = (0.1 * rng.standard_normal(SR * 5)).astype(np.float32)
    out = encoder.embed_spans(y, SR, [(0.0, 0.1), (0.5, 1.2), (1.5, 4.8)], _random_encoder())
    assert out[0] is None
    assert out[1] is not None and out[2] is not None
    assert np.isclose(np.linalg.norm(out[2]), 1.0)


def test_missing_weights_mean_no_embeddings_and_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(encoder.ENV_VAR, str(tmp_path / "none.npz"))
    assert not encoder.available()
    assert encoder.utterance_embeddings(np.zeros(SR), SR, [{"start": 0, "end": 1}]) is None
    with pytest.raises(encoder.VoiceEncoderError, match="make setup"):
        encoder.load_encoder()


def test_weights_lacking_a_layer_are_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, **{"linear.weight": np.zeros((256, 256), np.float32)})
    with pytest.raises(encoder.VoiceEncoderError, match="lack"):
        encoder.load_encoder(bad)


def test_two_separate_groups_are_split_clearly():
    base = np.random.default_rng(3).standard_normal((2, 256))
    a, b = _directions(4, 5, base[0], 0.05), _directions(5, 4, base[1], 0.05)
    x = np.concatenate([a, b])
    clarity, llr = split_embeddings(x, np.ones(len(x)), SETTINGS.embeddings)
    assert clarity == 1.0
    signs = np.sign(llr)
    assert len(set(signs[:5])) == 1 and len(set(signs[5:])) == 1 and signs[0] != signs[5]


def test_one_voice_is_not_two():
    base = np.random.default_rng(6).standard_normal(256)
    x = _directions(7, 8, base, 0.03)
    clarity, _ = split_embeddings(x, np.ones(len(x)), SETTINGS.embeddings)
    assert clarity == 0.0


def test_two_close_but_tight_voices_are_clear_by_how_their_lines_lean():
    # Two voices whose directions are close (centres at a cosine above cos_one: the centre rule
    # gives no evidence) but whose lines are tight around them: each line, left out, leans to
    # its own voice, so the split is clear; one voice's lines lean little either way.
    rng = np.random.default_rng(11)
    common, own = rng.standard_normal(256), rng.standard_normal((2, 256))
    bases = [common + 0.6 * own[0], common + 0.6 * own[1]]  # centres at a cosine of 0.70
    x = np.concatenate([_directions(12, 4, bases[0], 0.02), _directions(13, 4, bases[1], 0.02)])
    w = np.ones(len(x))
    e = SETTINGS.embeddings
    centre_clarity, llr = split_embeddings(x, w, e)
    assert centre_clarity == 0.0  # the centres alone: one voice
    assert lean_clarity(llr, w, e) > 0.5
    signs = np.sign(llr)
    assert len(set(signs[:4])) == 1 and len(set(signs[4:])) == 1 and signs[0] != signs[4]
    one = _directions(14, 8, common, 0.03)
    _, llr_one = split_embeddings(one, w, e)
    assert lean_clarity(llr_one, w, e) == 0.0
    assert lean_clarity(np.zeros(0), np.zeros(0), e) == 0.0


def test_too_few_lines_are_not_split():
    x = _directions(8, 1, np.ones(256), 0.1)
    assert split_embeddings(x, np.ones(1), SETTINGS.embeddings) is None


def test_only_clearly_different_neighbours_raise_the_change_chance():
    e = np.eye(3)
    near = (e[0] + 0.1 * e[1]) / np.linalg.norm(e[0] + 0.1 * e[1])
    out = _changes_heard(np.array([0.3, 0.3, 0.3]), [e[0], e[1], None, near], SETTINGS)
    assert out[0] == SETTINGS.embeddings.different_change  # orthogonal: two people
    assert out[1] == 0.3 and out[2] == 0.3  # a line without an embedding, or close ones: as was


def test_embeddings_name_the_lines_when_the_timbre_does_not():
    # One synthetic timbre for both parties (the windows cannot split it), but embeddings that
    # put the lines in two groups: the groups are the parties, the opener's group the agent.
    rng = np.random.default_rng(9)
    turns = ["agent", "customer"] * 4
    utts = [{"start": 3.0 * k, "end": 3.0 * k + 2.5, "text": "", "speaker": "unknown"}
            for k in range(len(turns))]
    y = (0.001 * rng.standard_normal(SR * 24)).astype(np.float32)
    for u in utts:  # the same buzzing voice in every line, silence between
        a, b = int(u["start"] * SR), int(u["end"] * SR)
        t = np.arange(b - a) / SR
        y[a:b] += 0.3 * np.sign(np.sin(2 * np.pi * 140 * t)) * (0.6 + 0.4 * np.sin(7 * t))
    base = rng.standard_normal((2, 256))
    vecs = [_directions(10 + k, 1, base[0 if t == "agent" else 1], 0.05)[0]
            for k, t in enumerate(turns)]
    without, _ = attribute(voice_frames(y, SR), utts)
    with_emb, _ = attribute(voice_frames(y, SR), utts, embeddings=vecs)
    assert [u["speaker"] for u in with_emb] == turns
    assert sum(u["speaker"] == t for u, t in zip(without, turns, strict=True)) < len(turns)


def test_the_checkpoint_reader_refuses_anything_but_arrays(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from fetch_voice_encoder import read_checkpoint
    finally:
        sys.path.remove(str(ROOT / "scripts"))

    class Evil:
        def __reduce__(self):
            return (print, ("boom",))

    path = tmp_path / "evil.pt"
    with path.open("wb") as fh:
        for head in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(head, fh)
        pickle.dump({"model_state": Evil()}, fh)
    with pytest.raises(pickle.UnpicklingError, match="unexpected object"):
        read_checkpoint(path)


@pytest.mark.e2e
def test_real_voices_lie_apart_and_one_voice_together():
    """With the fetched weights: two clips of one real speaker are closer than two speakers."""
    shared = ROOT.parent / "shared"
    if not (shared / "realzh-aishell").is_dir():
        shared = Path("/work/shared")
    from auditor.audio.decode import decode

    one = sorted((shared / "realzh-aishell").glob("*.wav"))[:2]
    other = shared / "realzh" / "firered_TEST_MEETING_T0000000001_S00000.wav"
    clips = [decode(p).samples[0] for p in [*one, other]]
    enc = encoder.load_encoder()
    vecs = [encoder.embed_spans(c, SR, [(0.0, len(c) / SR)], enc)[0] for c in clips]
    same, cross = float(vecs[0] @ vecs[1]), float(vecs[0] @ vecs[2])
    assert same > 0.7 and cross < same - 0.15


def test_missing_weights_are_named_in_one_sentence(tmp_path: Path) -> None:
    there = tmp_path / "ge2e.npz"
    note = encoder.missing_note(there)
    assert note is not None and str(there) in note and "make setup" in note
    assert note.count(". ") == 0 and note.endswith(".")
    there.write_bytes(b"weights")
    assert encoder.missing_note(there) is None
