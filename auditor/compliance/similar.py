"""The example layer: a line said like a labelled example line of a category is flagged uncertain.

Why: four rounds of growing word classes stopped moving recall on wording never seen; real agents
say the same act in words no list holds. This layer generalises from EXAMPLE lines per category
(``packs/examples/*.toml``, data a QA lead reads and extends) instead of from words.

How: a line is normalised (digits to 0, punctuation to a clause mark) and read twice, as written
and with every member of the packs' word classes replaced by one character standing for its class
(冻结你的支付宝 and 封了你微信 then share "freeze_action … freeze_target" features); character
1-3-grams of both readings, TF-IDF weighted (sublinear counts); a multinomial logistic
regression (numpy, Newton-CG from scipy) over the seven categories and ``compliant`` gives each
category a probability. A category is raised when its probability reaches ``threshold`` and
the rules corroborate it (``gate``: ``matching.layer_support``); the most similar example of the
category (cosine of the TF-IDF rows) is named as the reason. The caller (``audit``) asks only
on a settled agent's line the recogniser is sure of, only for a category no rule raised, and
raises it ``uncertain``.

Examples file (``[layer]`` settings in any file, the last file's value wins)::

    [layer]
    enabled = false      # whether audits use the layer (explain shows it either way)
    threshold = 0.7      # the model's probability from which a category is raised
    strength = 30.0      # inverse L2 penalty of the model (higher: follows the examples closer)
    gate = "member"      # what the rules must corroborate first: "none", "member" or "pair"

    [layer.gates]        # a category's own gate (optional)
    threat = "member"

    [layer.thresholds]   # a category's own threshold (optional; the others use ``threshold``)
    impatience = 0.8

    [examples.threat]
    source = "what kinds of public source the wording came from"
    lines = ["…", "…"]

or JSON lines (``*.jsonl``), one labelled line an object (``category``, ``speaker``, ``text``,
``source_kind``, ...): the corpus tuning half and the dev sets live there as the one copy the
bench and the tests read too.

``load_examples`` validates every file by line (``auditor.core.config``) and builds the layer
once per process for the same file contents and word classes (``lru_cache`` on their digest);
the fit itself is kept in the product's disk cache (``auditor.core.cache``), so a process after
the first one since the examples changed reads it instead of fitting again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from auditor.compliance.rulepack import RulePackError
from auditor.core import cache, config
from auditor.core.vocab import LEXICAL_CATEGORIES

EXAMPLES_DIR = Path(__file__).parent / "packs" / "examples"
COMPLIANT = "compliant"
EXAMPLE_CATEGORIES = (*LEXICAL_CATEGORIES, COMPLIANT)
REASON = "similar_to_example"  # flags[].uncertain_reasons of a flag raised by this layer
# How much the rules must corroborate before the layer may raise a category
# (``auditor.compliance.matching.layer_support``): nothing, a word-class member of one of the
# category's rules on a word boundary, or two terms of one of its expressions.
GATES = ("none", "member", "pair")

_EXAMPLES_TABLE = {"source": config.Key(str), "lines": config.Key(list)}
SCHEMA: config.Schema = {
    "layer": {
        "enabled": config.Key(bool),
        "threshold": config.Key(float, 0.0, 1.0),
        "strength": config.Key(float, 0.001, 10000.0),
        "categories": config.Key(list, choices=LEXICAL_CATEGORIES),
        "gate": config.Key(str, choices=GATES),
        "gates": {cat: config.Key(str, choices=GATES) for cat in LEXICAL_CATEGORIES},
        "thresholds": {cat: config.Key(float, 0.0, 1.0) for cat in LEXICAL_CATEGORIES},
    },
    "examples": {cat: _EXAMPLES_TABLE for cat in EXAMPLE_CATEGORIES},
}

_PUNCT = re.compile(r"[\s，。！？、；：,.!?;:…~～\-—\"'“”‘’()（）《》<>【】\[\]]+")
_DIGITS = re.compile(r"[0-9０-９]+")
_CLASS_BASE = 0xE000  # private-use characters stand for word classes
DEFAULT_STRENGTH = 30.0  # the model's inverse L2 penalty when [layer] does not say


class ExamplesError(RulePackError):
    """An examples file cannot be used (the message names the file and line); a RulePackError,
    so every command that reports a bad pack reports a bad examples file the same way."""


@dataclass(frozen=True)
class Example:
    """One labelled example line."""

    category: str
    text: str
    file: str


@dataclass(frozen=True)
class Verdict:
    """The layer's reading of one line for one category."""

    category: str
    score: float  # the linear model's probability of the category
    nearest: Example | None  # the most similar example of the category (cosine of TF-IDF)
    similarity: float
    raised: bool


@dataclass(frozen=True)
class LayerSettings:
    """The ``[layer]`` settings of the example files, typed, each default said once here."""

    threshold: float = 0.7  # the model's probability from which a category is raised
    strength: float = DEFAULT_STRENGTH  # inverse L2 penalty of the model
    categories: tuple[str, ...] = LEXICAL_CATEGORIES  # the categories the layer may raise
    gate: str = "member"  # GATES: what the rules must corroborate (matching.layer_support)
    gates: Mapping[str, str] = field(default_factory=dict)  # a category's own gate
    thresholds: Mapping[str, float] = field(default_factory=dict)  # a category's own threshold

    @classmethod
    def from_table(cls, table: Mapping[str, object]) -> LayerSettings:
        """The settings of a ``[layer]`` table already checked against SCHEMA
        (``read_examples``); what it leaves out keeps its default."""
        d = cls()
        return cls(
            threshold=float(table.get("threshold", d.threshold)),  # type: ignore[arg-type]
            strength=float(table.get("strength", d.strength)),  # type: ignore[arg-type]
            categories=tuple(table.get("categories") or d.categories),  # type: ignore[call-overload]
            gate=str(table.get("gate", d.gate)),
            gates=dict(table.get("gates") or {}),  # type: ignore[call-overload]
            thresholds={c: float(t) for c, t in  # type: ignore[union-attr]
                        (table.get("thresholds") or {}).items()})


@dataclass(frozen=True)
class ExampleLayer:
    """The fitted layer: the feature vocabulary and IDF weights, the linear model, the example
    vectors and the settings."""

    examples: tuple[Example, ...]
    threshold: float
    categories: tuple[str, ...]
    digest: str
    classes: Mapping[str, str]
    class_rx: re.Pattern[str] | None
    vocabulary: Mapping[str, int]  # feature -> column
    idf: np.ndarray
    model: LinearModel
    matrix: Any  # the examples' TF-IDF rows (L2-normalised, scipy CSR)
    labels: np.ndarray
    gate: str = "member"  # GATES: what the rules must corroborate (matching.layer_support)
    gates: Mapping[str, str] = field(default_factory=dict)  # a category's own gate, if any
    thresholds: Mapping[str, float] = field(default_factory=dict)  # a category's own threshold

    def gate_for(self, category: str) -> str:
        """The gate of one category: its own ([layer.gates]) or the layer's."""
        return self.gates.get(category, self.gate)

    def threshold_for(self, category: str) -> float:
        """The threshold of one category: its own ([layer.thresholds]) or the layer's. Why: a
        category with no gate (its rules need not corroborate it) may need a surer model."""
        return self.thresholds.get(category, self.threshold)

    def vectors(self, texts: Sequence[str]) -> Any:
        """TF-IDF rows of the texts over the examples' vocabulary (unknown features dropped)."""
        return tfidf_rows([features(t, self.class_rx, self.classes) for t in texts],
                          self.vocabulary, self.idf)

    def judge_many(self, texts: Sequence[str],
                   categories: Iterable[str] | None = None) -> list[list[Verdict]]:
        """Every category's verdict on each text (best first), in one pass over the texts."""
        if not texts:
            return []
        x = self.vectors(texts)
        probs = self.model.probabilities(x)
        sims = (x @ self.matrix.T).toarray()
        col = {c: i for i, c in enumerate(self.model.classes)}
        cats = [c for c in (categories if categories is not None else self.categories)
                if c in col]
        out = []
        for k in range(len(texts)):
            row = []
            for cat in cats:
                mask = self.labels == cat
                i = int(np.argmax(np.where(mask, sims[k], -1.0)))
                p = float(probs[k][col[cat]])
                row.append(Verdict(cat, p, self.examples[i], float(sims[k][i]),
                                   cat in self.categories and p >= self.threshold_for(cat)))
            row.sort(key=lambda v: -v.score)
            out.append(row)
        return out

    def judge(self, text: str, categories: Iterable[str] | None = None) -> list[Verdict]:
        """Every category's verdict on one text (best first)."""
        return self.judge_many([text], categories)[0]

    def raised(self, text: str, skip: Iterable[str] = ()) -> list[Verdict]:
        """The categories the layer raises on `text`, less those in `skip` (a rule raised them)."""
        done = set(skip)
        return [v for v in self.judge(text, [c for c in self.categories if c not in done])
                if v.raised]


def normalise(text: str) -> str:
    """Digits to 0 and punctuation to one clause mark '|', padded with marks."""
    t = _DIGITS.sub("0", text.lower())
    t = _PUNCT.sub("|", t).strip("|")
    return f"|{t}|"


def class_reading(text: str, rx: re.Pattern[str] | None, classes: Mapping[str, str]) -> str:
    """`text` with each word-class member (longest first) replaced by one private-use character
    standing for its class, so that members of one class share every n-gram around them."""
    if rx is None:
        return text
    code = _codes(tuple(sorted(set(classes.values()))))
    return rx.sub(lambda m: code[classes[m.group(0)]], text)


def features(text: str, rx: re.Pattern[str] | None, classes: Mapping[str, str]) -> list[str]:
    """Character 1-3-grams of the line as written (``w:``) and as classes (``c:``).

    Measured against word-level features (jieba words, word pairs, whole-word classes) by the
    leave-one-group-out estimate: character n-grams found more (docs/rule-sources.md)."""
    plain = normalise(text)
    out = [f"w:{g}" for g in _grams(plain)]
    if rx is not None:
        out.extend(f"c:{g}" for g in _grams(class_reading(plain, rx, classes)))
    return out


def _grams(t: str) -> list[str]:
    return [t[i:i + n] for n in (1, 2, 3) for i in range(len(t) - n + 1) if t[i:i + n] != "|"]


@lru_cache(maxsize=8)
def _codes(names: tuple[str, ...]) -> dict[str, str]:
    return {n: chr(_CLASS_BASE + i) for i, n in enumerate(names)}


def class_regex(classes: Mapping[str, str]) -> re.Pattern[str] | None:
    """One alternation of every member, longest first (the longer member wins)."""
    words = sorted((w for w in classes if w), key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words)) if words else None


@dataclass(frozen=True)
class LinearModel:
    """A multinomial logistic regression: one weight row and intercept per class."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)

    def probabilities(self, x: Any) -> np.ndarray:
        """Each row's probability per class (softmax of the linear scores)."""
        z = np.asarray(x @ self.coef.T) + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def fit_logistic(x: Any, labels: Sequence[str], strength: float,
                 max_iter: int = 200) -> LinearModel:
    """Multinomial logistic regression, classes weighted by their size (n / (k * n_class)), an
    L2 penalty of 1 / (2 * strength) on the weights (not the intercepts): the objective of
    scikit-learn's ``LogisticRegression(C=strength, class_weight="balanced")``, in numpy so
    the layer needs no further dependency.

    With far fewer examples than features the weights lie in the span of the examples, so the
    problem is solved on n coordinates instead of d: the Cholesky factor L of the Gram matrix
    (L Lᵀ = X Xᵀ) gives the examples coordinates with the same scores and penalty (W = B X,
    Bᵀ = L⁻ᵀ Vᵀ), and Newton steps (scipy's trust-region Newton-CG, exact Hessian-vector
    products) run on V."""
    from scipy.linalg import cholesky, solve_triangular
    from scipy.optimize import minimize

    classes = tuple(sorted(set(labels)))
    k, n = len(classes), x.shape[0]
    y = np.array([classes.index(c) for c in labels])
    w = (n / (k * np.bincount(y, minlength=k)))[y]  # balanced sample weights
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    gram = np.asarray((x @ x.T).todense())
    gram[np.diag_indices(n)] += 1e-9 * max(float(np.trace(gram)) / n, 1e-12)  # a repeated line
    coords = cholesky(gram, lower=True)  # (n, n), L Lᵀ = X Xᵀ
    r_dim = n
    last: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def probs(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = theta.tobytes()
        if key not in last:  # the Hessian products of one Newton step share one point
            z = coords @ theta[:k * r_dim].reshape(k, r_dim).T + theta[k * r_dim:]
            z -= z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            last.clear()
            last[key] = (logp, np.exp(logp))
        return last[key]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        v = theta[:k * r_dim].reshape(k, r_dim)
        logp, p = probs(theta)
        value = strength * float(-(w * (onehot * logp).sum(axis=1)).sum()) \
            + 0.5 * float((v * v).sum())
        r = strength * (p - onehot) * w[:, None]  # (n, k)
        return value, np.concatenate([(r.T @ coords + v).ravel(), r.sum(axis=0)])

    def hessp(theta: np.ndarray, d: np.ndarray) -> np.ndarray:
        p = probs(theta)[1]
        dv = d[:k * r_dim].reshape(k, r_dim)
        xd = coords @ dv.T + d[k * r_dim:]  # (n, k)
        r = strength * w[:, None] * p * (xd - (p * xd).sum(axis=1, keepdims=True))
        return np.concatenate([(r.T @ coords + dv).ravel(), r.sum(axis=0)])

    res = minimize(loss, np.zeros(k * r_dim + k), jac=True, hessp=hessp, method="trust-ncg",
                   options={"maxiter": max_iter, "gtol": 1e-6})
    b = solve_triangular(coords, res.x[:k * r_dim].reshape(k, r_dim).T, lower=True,
                         trans="T").T  # (k, n): W = B X with Bᵀ = L⁻ᵀ Vᵀ
    return LinearModel(classes, np.asarray((x.T @ b.T).T), res.x[k * r_dim:])


def tfidf_rows(rows: Sequence[Sequence[str]], vocabulary: Mapping[str, int],
               idf: np.ndarray) -> Any:
    """Sublinear TF-IDF rows (1 + ln count, times IDF), L2-normalised, as a CSR matrix."""
    from scipy.sparse import csr_matrix

    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for grams in rows:
        counts = _counts(g for g in grams if g in vocabulary)
        idx = np.array([vocabulary[g] for g in counts], dtype=np.int64)
        val = (1.0 + np.log(np.array(list(counts.values()), dtype=float))) * idf[idx] \
            if counts else np.zeros(0)
        norm = float(np.sqrt((val * val).sum()))
        cols.extend(idx.tolist())
        data.extend((val / norm if norm else val).tolist())
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(rows), len(idf)))


def fit(examples: Sequence[Example], classes: Mapping[str, str], threshold: float,
        strength: float = DEFAULT_STRENGTH, categories: Sequence[str] = LEXICAL_CATEGORIES,
        digest: str = "", gate: str = "member",
        gates: Mapping[str, str] | None = None,
        thresholds: Mapping[str, float] | None = None) -> ExampleLayer:
    """Fit the layer on labelled examples: TF-IDF (sublinear counts, smoothed IDF) over both
    readings, then a multinomial logistic regression over the categories and ``compliant``
    (classes weighted by their size, ``strength`` the inverse of the L2 penalty). Pure and
    deterministic."""
    rx = class_regex(classes)
    rows = [features(e.text, rx, classes) for e in examples]
    vocabulary = {g: i for i, g in enumerate(sorted({g for r in rows for g in r}))}
    df = np.zeros(len(vocabulary))
    for r in rows:
        df[[vocabulary[g] for g in set(r)]] += 1
    idf = np.log((1 + len(rows)) / (1 + df)) + 1.0
    x = tfidf_rows(rows, vocabulary, idf)
    labels = np.array([e.category for e in examples], dtype=object)
    model = fit_logistic(x, [e.category for e in examples], strength)
    return ExampleLayer(examples=tuple(examples), threshold=threshold,
                        categories=tuple(categories), digest=digest, classes=dict(classes),
                        class_rx=rx, vocabulary=vocabulary, idf=idf, model=model, matrix=x,
                        labels=labels, gate=gate, gates=dict(gates or {}),
                        thresholds={c: float(t) for c, t in (thresholds or {}).items()})


def _counts(grams: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for g in grams:
        out[g] = out.get(g, 0) + 1
    return out


# --------------------------------------------------------------------------- files


def labelled_lines(path: Path | str) -> list[tuple[int, dict[str, Any] | None, str]]:
    """A JSON-lines examples file read line by line: (line number, record or None, problem).

    The format of the real-wording corpus and the dev sets (one object a line: ``id``,
    ``category``, ``speaker``, ``text``, ``source_kind``, optional ``context``/``also``/``note``),
    so that those files are the examples themselves rather than copied into TOML."""
    out: list[tuple[int, dict[str, Any] | None, str]] = []
    for n, raw in enumerate(Path(path).read_text("utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as e:
            out.append((n, None, f"not a JSON object ({e.msg})"))
            continue
        if not isinstance(rec, dict):
            out.append((n, None, "not a JSON object"))
        elif not isinstance(rec.get("text"), str) or not rec["text"].strip():
            out.append((n, None, "no 'text'"))
        elif rec.get("category") not in EXAMPLE_CATEGORIES:
            out.append((n, None, f"unknown category {rec.get('category')!r} (one of "
                                 f"{', '.join(EXAMPLE_CATEGORIES)})"))
        elif rec.get("speaker", "agent") not in ("agent", "customer"):
            out.append((n, None, f"speaker must be 'agent' or 'customer', not "
                                 f"{rec.get('speaker')!r}"))
        else:
            out.append((n, rec, ""))
    return out


def check_examples(path: Path | str) -> list[str]:
    """An examples file's problems as 'file:line: message' (empty when it is fine)."""
    if Path(path).suffix == ".jsonl":
        return [f"{path}:{n}: {msg}" for n, _, msg in labelled_lines(path) if msg]
    doc, found = config.parse(path)
    if doc is not None:
        found = config.check(doc, SCHEMA)
        for cat, table in (doc.data.get("examples") or {}).items():
            if isinstance(table, dict) and not table.get("lines"):
                found.append((doc.locator.table_line(f"examples.{cat}"),
                              f"[examples.{cat}] has no 'lines'"))
        found.sort(key=lambda p: p[0])
    return [f"{path}:{line}: {msg}" for line, msg in found]


def is_examples_file(path: Path | str) -> bool:
    """Whether a file is an example file: JSON lines, or TOML with a table [examples.*] or
    [layer] at the top."""
    if Path(path).suffix == ".jsonl":
        return True
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[(examples\.[A-Za-z_]+|layer)\]", text, re.M) is not None


def read_examples(files: Iterable[Path | str]) -> tuple[list[Example], dict[str, object]]:
    """The examples and ``[layer]`` settings of the files (later files' settings win)."""
    examples: list[Example] = []
    layer: dict[str, object] = {}
    for f in files:
        bad = check_examples(f)
        if bad:
            more = f" (and {len(bad) - 1} more problems)" if len(bad) > 1 else ""
            raise ExamplesError(f"Cannot read the examples file {bad[0]}{more}.")
        if Path(f).suffix == ".jsonl":  # agent lines only: a customer's words are no example
            examples.extend(Example(rec["category"], rec["text"], Path(f).name)
                            for _, rec, _ in labelled_lines(f)
                            if rec is not None and rec.get("speaker", "agent") == "agent")
            continue
        data = config.read(f, SCHEMA, "examples file")
        layer.update(data.get("layer") or {})
        for cat, table in (data.get("examples") or {}).items():
            examples.extend(Example(cat, t, Path(f).name)
                            for t in dict.fromkeys(table.get("lines", [])))
    return examples, layer


def example_files(directory: Path | str = EXAMPLES_DIR) -> list[Path]:
    """The *.toml and *.jsonl example files of a directory, sorted by name (none when it does
    not exist)."""
    d = Path(directory)
    return sorted((p for p in d.iterdir() if p.is_file() and p.suffix in (".toml", ".jsonl")),
                  key=lambda p: p.name) if d.is_dir() else []


def load_examples(files: Sequence[Path | str], classes: Mapping[str, str],
                  force: bool = False) -> ExampleLayer | None:
    """The layer fitted on the example files, built once per process for the same file contents
    and word classes. None without examples, without a ``threshold``, or while ``[layer]
    enabled`` is false (unless `force`: ``auditor rules explain`` shows what it would say)."""
    if not files:
        return None
    h = hashlib.sha256()
    for f in files:
        h.update(Path(f).name.encode() + b"\0" + Path(f).read_bytes() + b"\0")
    if not (force or _enabled(h.hexdigest(), tuple(str(f) for f in files))):
        return None
    for w, c in sorted(classes.items()):
        h.update(f"{w}\0{c}\0".encode())
    return _load_cached(h.hexdigest()[:12], tuple(str(f) for f in files),
                        tuple(sorted(classes.items())))


@lru_cache(maxsize=8)
def _enabled(digest: str, files: tuple[str, ...]) -> bool:
    """Whether [layer] enabled is true in the files (read once per content digest)."""
    return bool(read_examples(files)[1].get("enabled", False))


@lru_cache(maxsize=4)
def _load_cached(digest: str, files: tuple[str, ...],
                 classes: tuple[tuple[str, str], ...]) -> ExampleLayer | None:
    examples, layer = read_examples(files)
    if not examples or "threshold" not in layer:
        return None
    settings = LayerSettings.from_table(layer)
    key = fit_key(digest, settings.strength)
    stored = cache.load_arrays(CACHE_KIND, key)
    if stored is not None:
        fitted = layer_from_arrays(stored, examples, dict(classes), settings, digest)
        if fitted is not None:
            return fitted
    fitted = fit(examples, dict(classes), settings.threshold, settings.strength,
                 settings.categories, digest, settings.gate, settings.gates, settings.thresholds)
    cache.store_arrays(CACHE_KIND, key, layer_arrays(fitted))
    return fitted


# The fitted layer is kept in the product's disk cache (``auditor.core.cache``): fitting costs
# every process that audits a few CPU seconds, and the result depends only on the example files,
# the word classes (both in ``digest``), the strength and this module's code.
CACHE_KIND = "example-layer"


def fit_key(digest: str, strength: float) -> str:
    """The cache key of a fit: the examples' and classes' digest, the strength, the code that
    fits (this module) and the numerical libraries' versions."""
    import scipy

    h = hashlib.sha256(f"{digest}\0{strength!r}\0{np.__version__}\0{scipy.__version__}\0"
                       f"{cache.source_digest(__file__)}".encode())
    return h.hexdigest()[:24]


def layer_arrays(layer: ExampleLayer) -> dict[str, np.ndarray]:
    """What a fit computed, as plain arrays (the disk cache's entry)."""
    m = layer.matrix
    return {
        "vocabulary": np.array(sorted(layer.vocabulary, key=layer.vocabulary.__getitem__)),
        "idf": layer.idf, "data": m.data, "indices": m.indices, "indptr": m.indptr,
        "shape": np.array(m.shape), "classes": np.array(layer.model.classes),
        "coef": layer.model.coef, "intercept": layer.model.intercept,
    }


def layer_from_arrays(arrays: Mapping[str, np.ndarray], examples: Sequence[Example],
                      classes: Mapping[str, str], settings: LayerSettings,
                      digest: str) -> ExampleLayer | None:
    """The layer a fit stored (``layer_arrays``), for these examples and settings; None when
    the entry does not fit them (then the caller fits)."""
    from scipy.sparse import csr_matrix

    try:
        shape = tuple(int(v) for v in arrays["shape"])
        matrix = csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=shape)
        vocabulary = {str(g): i for i, g in enumerate(arrays["vocabulary"].tolist())}
        model = LinearModel(tuple(str(c) for c in arrays["classes"].tolist()),
                            np.asarray(arrays["coef"]), np.asarray(arrays["intercept"]))
        idf = np.asarray(arrays["idf"])
    except (KeyError, ValueError, TypeError):
        return None
    if (shape != (len(examples), len(vocabulary)) or idf.shape != (len(vocabulary),)
            or model.coef.shape != (len(model.classes), len(vocabulary))):
        return None
    return ExampleLayer(examples=tuple(examples), threshold=settings.threshold,
                        categories=tuple(settings.categories), digest=digest,
                        classes=dict(classes), class_rx=class_regex(classes),
                        vocabulary=vocabulary, idf=idf, model=model, matrix=matrix,
                        labels=np.array([e.category for e in examples], dtype=object),
                        gate=settings.gate, gates=dict(settings.gates),
                        thresholds=dict(settings.thresholds))


def class_members(concepts: Mapping[str, object]) -> dict[str, str]:
    """Member word -> class name over the packs' word classes (members and context members;
    a word in two classes goes to the first class by name)."""
    out: dict[str, str] = {}
    for name in sorted(concepts):
        c = concepts[name]
        for w in (*getattr(c, "members", ()), *getattr(c, "context_members", ())):
            if len(w) >= 2 and not re.search(r"[\\^$*+?{}()\[\]|]", w):
                out.setdefault(w.lower(), name)
    return out
