"""Fetch the voice encoder's weights into models/voice-encoder/ge2e.npz.

The attribution of mono calls uses a pretrained speaker encoder (``auditor.speakers.encoder``):
the GE2E d-vector network that the Resemblyzer package (Apache-2.0) ships inside its PyPI wheel
as ``pretrained.pt``. No model hub is reachable, so the wheel is downloaded (not installed)
with pip, the checkpoint's sha256 checked, and its network weights (not the optimiser state)
written to a numpy archive. The checkpoint is a legacy PyTorch pickle; it is read here without
PyTorch by an unpickler that builds nothing but arrays and dictionaries (any other object in
the file is refused). Run again, it does nothing when the archive is in place.

Needs numpy (run it with the project's venv: ``make setup`` does).
"""

from __future__ import annotations

import hashlib
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

WHEEL = "Resemblyzer==0.1.4"
MEMBER = "resemblyzer/pretrained.pt"
CHECKPOINT_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
KEEP = ("lstm.", "linear.")
DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "LongStorage": np.int64,
          "IntStorage": np.int32, "HalfStorage": np.float16}


class _Storage:
    def __init__(self, name: str) -> None:
        self.name = name


class _Tensor:
    def __init__(self, storage: tuple, offset: int, size: tuple, stride: tuple) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild(storage, offset, size, stride, *_rest):
    return _Tensor(storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """Arrays and dictionaries only: every other global in the file is an error."""

    def find_class(self, module: str, name: str):
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild
        if module == "torch" and name in DTYPES:
            return _Storage(name)
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the checkpoint")

    def persistent_load(self, pid):
        _kind, storage_type, key, _location, size = pid[:5]
        return (storage_type.name, key, size)


def read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    """The network weights of a legacy (pre-zip) PyTorch checkpoint, as float32 arrays."""
    with path.open("rb") as fh:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(fh)  # noqa: S301 - plain numbers and a dict of sizes
        obj = _Unpickler(fh).load()
        keys = pickle.load(fh)  # noqa: S301 - a list of storage keys
        tensors: list[_Tensor] = []

        def walk(o):
            if isinstance(o, _Tensor):
                tensors.append(o)
            elif isinstance(o, dict):
                for v in o.values():
                    walk(v)
            elif isinstance(o, list | tuple):
                for v in o:
                    walk(v)

        walk(obj)
        kinds = {t.storage[1]: t.storage[0] for t in tensors}
        data = {}
        for key in keys:
            count = struct.unpack("<q", fh.read(8))[0]
            dtype = np.dtype(DTYPES[kinds.get(key, "FloatStorage")])
            data[key] = np.frombuffer(fh.read(count * dtype.itemsize), dtype=dtype)
    out = {}
    for name, t in obj["model_state"].items():
        if not name.startswith(KEEP):
            continue
        buf = data[t.storage[1]]
        arr = np.lib.stride_tricks.as_strided(
            buf[t.offset:], shape=t.size, strides=[s * buf.itemsize for s in t.stride])
        out[name] = np.array(arr, dtype=np.float32)
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", tmp, WHEEL], check=True)
        wheels = sorted(tmpdir.glob("*.whl"))
        if not wheels:
            sys.exit(f"fetch_voice_encoder: pip brought no wheel for {WHEEL}")
        ckpt = tmpdir / "pretrained.pt"
        with zipfile.ZipFile(wheels[0]) as zf:
            ckpt.write_bytes(zf.read(MEMBER))
        digest = sha256(ckpt)
        if digest != CHECKPOINT_SHA256:
            sys.exit(f"fetch_voice_encoder: {MEMBER} has sha256 {digest}, expected "
                     f"{CHECKPOINT_SHA256}")
        weights = read_checkpoint(ckpt)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp.npz")
        np.savez(partial, **weights)
        partial.replace(target)


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "models/voice-encoder/ge2e.npz")
    if target.is_file():
        print(f"voice encoder already in place: {target}")
        return
    print(f"fetching the voice encoder into {target} ...")
    fetch(target)
    print(f"voice encoder ready: {target} (sha256 of the checkpoint checked)")


if __name__ == "__main__":
    main()
