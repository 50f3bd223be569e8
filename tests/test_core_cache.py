"""The on-disk cache of derived data (auditor/core/cache.py) and its one user so far, the
example layer's fit: an entry reads back exactly, a torn entry or an unwritable folder is a miss
(never an error), the cache can be turned off, and a layer read from the cache judges exactly
as the layer fitted afresh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from auditor.compliance import similar
from auditor.compliance.similar import (
    Example,
    LayerSettings,
    fit,
    layer_arrays,
    layer_from_arrays,
)
from auditor.core import cache

CLASSES = {"单位": "workplace", "公司": "workplace", "老婆": "family", "孩子": "family"}
EXAMPLES = [Example(cat, text, "t") for cat, text in (
    ("threat", "明天我们就带人去你单位闹一闹"), ("threat", "再不还就去你孩子学校门口等着"),
    ("impatience", "你烦不烦啊，一个问题问八遍"), ("compliant", "您好，请问您这个月方便安排还款吗"),
    ("compliant", "好的，我这边给您登记一下还款日期"))]
SETTINGS = LayerSettings(threshold=0.4, strength=30.0)
LINES = ["我们明天去你公司找你", "请问您方便说话吗", "烦死了别问了", "你老婆电话多少"]


@pytest.fixture
def cache_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(d))
    return d


def test_arrays_read_back_exactly(cache_at: Path) -> None:
    arrays = {"a": np.arange(5, dtype=np.float64) / 3, "words": np.array(["冻结", "单位|x"])}
    assert cache.store_arrays("kind", "key1", arrays)
    got = cache.load_arrays("kind", "key1")
    assert got is not None and set(got) == {"a", "words"}
    assert np.array_equal(got["a"], arrays["a"]) and got["words"].tolist() == ["冻结", "单位|x"]
    assert list((cache_at / "kind").iterdir()) == [cache_at / "kind" / "key1.npz"]  # no temp left


def test_missing_torn_and_off_are_misses(cache_at: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache.load_arrays("kind", "absent") is None
    (cache_at / "kind").mkdir(parents=True)
    (cache_at / "kind" / "torn.npz").write_bytes(b"PK\x03\x04 not a whole archive")
    assert cache.load_arrays("kind", "torn") is None
    monkeypatch.setenv(cache.ENV_VAR, "off")
    assert cache.cache_dir() is None
    assert cache.store_arrays("kind", "k", {"a": np.zeros(2)}) is False
    assert cache.load_arrays("kind", "k") is None


def test_unwritable_folder_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker))
    assert cache.store_arrays("kind", "k", {"a": np.zeros(2)}) is False


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "call-auditor"


def test_keys_must_be_plain_names(cache_at: Path) -> None:
    with pytest.raises(ValueError, match="lower-case names"):
        cache.load_arrays("kind", "../escape")


def test_cached_layer_judges_as_the_fitted_one() -> None:
    fresh = fit(EXAMPLES, CLASSES, 0.4, 30.0, digest="d")
    again = layer_from_arrays(layer_arrays(fresh), EXAMPLES, CLASSES, SETTINGS, "d")
    assert again is not None
    assert np.array_equal(fresh.model.probabilities(fresh.vectors(LINES)),
                          again.model.probabilities(again.vectors(LINES)))
    assert [[v.nearest for v in row] for row in fresh.judge_many(LINES)] == \
        [[v.nearest for v in row] for row in again.judge_many(LINES)]


def test_entry_of_other_examples_is_refused() -> None:
    fresh = fit(EXAMPLES, CLASSES, 0.4, 30.0, digest="d")
    assert layer_from_arrays(layer_arrays(fresh), EXAMPLES[:-1], CLASSES, SETTINGS, "d") is None
    torn = dict(layer_arrays(fresh))
    del torn["coef"]
    assert layer_from_arrays(torn, EXAMPLES, CLASSES, SETTINGS, "d") is None


def test_second_process_reads_the_fit(cache_at: Path, monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    """A process after the first (here: the process's own cache cleared) reads the stored fit
    and fits nothing; a change to the examples makes a new entry."""
    ex = tmp_path / "ex.toml"
    ex.write_text('[layer]\nenabled = true\nthreshold = 0.5\n\n[layer.thresholds]\n'
                  'threat = 0.7\n\n[examples.threat]\n'
                  'lines = ["明天就去你单位闹", "去你孩子学校门口等你"]\n\n'
                  '[examples.compliant]\nlines = ["请问您方便说话吗", "我帮您登记还款日期"]\n',
                  encoding="utf-8")
    similar._load_cached.cache_clear()
    first = similar.load_examples([ex], CLASSES)
    assert first is not None and len(list((cache_at / similar.CACHE_KIND).iterdir())) == 1

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("fitted again although the fit was stored")

    similar._load_cached.cache_clear()
    monkeypatch.setattr(similar, "fit", no_fit)
    second = similar.load_examples([ex], CLASSES)
    assert second is not None
    assert np.array_equal(first.model.coef, second.model.coef)
    assert second.threshold_for("threat") == 0.7 and second.threshold_for("abuse") == 0.5
    monkeypatch.undo()
    monkeypatch.setenv(cache.ENV_VAR, str(cache_at))
    ex.write_text(ex.read_text(encoding="utf-8").replace("闹", "闹一闹"), encoding="utf-8")
    similar._load_cached.cache_clear()
    assert similar.load_examples([ex], CLASSES) is not None
    assert len(list((cache_at / similar.CACHE_KIND).iterdir())) == 2
    similar._load_cached.cache_clear()
