"""The one TOML reader: every config file and rule pack is read, located and checked here.

Why: tomllib gives no positions, so each loader used to carry its own shim and only the rule packs
said on which line a problem was. Here a file is read once (`read`), its tables and keys are
located by line (`Locator`), and its values are checked against a schema (`check`): an unknown
key (with a close-match hint), a wrong type or an out-of-range value is reported at the key's
line, a syntax error at its own line, as ``"file:line: message"`` (`problems`) or as one
`ConfigError` (`load`).

Where defaults live: each settings group's built-in file under ``auditor/config/`` (asr.toml,
delivery.toml, scoring.toml, roles.toml, attribution.toml) is the single home of its default
values, each explained there by a comment. The settings classes have no defaults of their own
and the loaders no fallbacks; a schema in the loader's module says only which keys exist, their
types and ranges. A user-supplied file is checked against the same schema and overrides the
built-in file key by key (`load`: tables merge, any other value replaces the built-in one).
"""

from __future__ import annotations

import copy
import difflib
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from auditor.core.errors import AuditorError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

Problem = tuple[int, str]  # (1-based line, 0 when the file has none; one sentence)


class ConfigError(AuditorError, ValueError):
    """A config file cannot be used; the message names the file, the line and what is wrong.

    A ValueError too, as the scoring loader raised before there was one reader.
    """


class Locator:
    """Finds the line of a table, key or value in the TOML source (tomllib gives no positions)."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str, bool]] = []  # (line index, name, is_array)
        for i, line in enumerate(self.lines):
            m = self._HEADER.match(line)
            if m:
                self.headers.append((i, m.group(2), m.group(1) == "[["))

    def block(self, name: str, index: int | None) -> tuple[int, int]:
        """Line range [a, b) of table `name` (or of its index-th array element).

        The empty name is the top level: the lines before the first table header.
        """
        if name == "":
            return 0, self.headers[0][0] if self.headers else len(self.lines)
        n = -1
        for k, (i, hname, is_array) in enumerate(self.headers):
            if hname != name:
                continue
            n += 1
            if index is None or (is_array and n == index):
                end = self.headers[k + 1][0] if k + 1 < len(self.headers) else len(self.lines)
                return i, end
        return 0, len(self.lines)

    def line_of(self, name: str | None, index: int | None = None, key: str | None = None,
                value: str | None = None) -> int:
        """1-based line of a table header, a key in it, or a string value in it."""
        a, b = self.block(name, index) if name is not None else (0, len(self.lines))
        if value is not None:
            quoted = [json.dumps(value, ensure_ascii=False), f"'{value}'"]
            for needles in (quoted, [value]):
                for i in range(a, b):
                    if any(nd in self.lines[i] for nd in needles):
                        return i + 1
        if key is not None:
            spelled = "|".join(re.escape(k) for k in (
                key, json.dumps(key, ensure_ascii=False), f"'{key}'"))
            key_re = re.compile(rf"^\s*(?:{spelled})\s*=")
            for i in range(a, b):
                if key_re.match(self.lines[i]):
                    return i + 1
        return a + 1

    def table_line(self, name: str) -> int:
        """1-based line of the header ``[name]``, else of a ``name = ...`` key, else 1."""
        if any(h[1] == name for h in self.headers):
            return self.line_of(name)
        head, _, last = name.rpartition(".")
        return self.line_of(head if head else None, key=last)


@dataclass(frozen=True)
class Document:
    """One TOML file, read and parsed: its path, bytes, text, data and line locator."""

    path: Path
    raw: bytes
    text: str
    data: dict[str, Any]
    locator: Locator


def parse(path: Path | str) -> tuple[Document | None, list[Problem]]:
    """Read and parse one TOML file; a file that cannot be read or parsed gives one problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [(0, f"cannot read the file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [(line, "the file is not UTF-8 text")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else 0
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg)
        return None, [(line, f"TOML syntax error: {msg}")]
    return Document(path, raw, text, data, Locator(text)), []


# --------------------------------------------------------------------------- schemas


@dataclass(frozen=True)
class Key:
    """What one key may hold: its type (float also takes whole numbers), range and choices.

    ``list`` keys hold non-empty strings; ``regex`` says the string (or each item) must be a
    valid regular expression.
    """

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    regex: bool = False


@dataclass(frozen=True)
class AnyKeys:
    """A table whose keys are free (phrases, patterns), each value as `value` says."""

    value: Key
    regex_keys: bool = False


Schema = Mapping[str, Union[Key, AnyKeys, "Schema"]]

_TYPE_NAMES = {str: "a string", list: "a list", bool: "true or false", int: "a whole number",
               float: "a number"}


def _fits(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _num(x: float) -> str:
    return f"{x:g}"


def _check_value(key: str, value: Any, spec: Key, where: str, line: int,
                 loc: Locator, name: str, problems: list[Problem]) -> None:
    if not _fits(value, spec.kind):
        problems.append((line, f"'{key}' in {where} must be {_TYPE_NAMES[spec.kind]}"))
        return
    if spec.kind is list:
        if any(not isinstance(item, str) or not item.strip() for item in value):
            problems.append((line, f"'{key}' in {where} must be a list of non-empty strings"))
            return
        items = value
    else:
        items = [value] if isinstance(value, str) else []
    if spec.regex:
        for item in items:
            try:
                re.compile(item)
            except re.error as exc:
                problems.append((loc.line_of(name, key=key, value=item) if spec.kind is list
                                 else line, f"pattern '{item}' in {where} is not a valid "
                                            f"regular expression: {exc}"))
    if spec.choices:
        for item in items:
            if item not in spec.choices:
                problems.append((line, f"'{key}' in {where} must be one of "
                                       f"{', '.join(spec.choices)}"))
    if spec.kind in (int, float):
        low, high = spec.low, spec.high
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                rng = f"between {_num(low)} and {_num(high)}"
            elif low is not None:
                rng = f"{_num(low)} or more"
            else:
                rng = f"{_num(high)} or less"  # type: ignore[arg-type]
            problems.append((line, f"'{key}' in {where} must be {rng}"))


def _check_table(table: Mapping[str, Any], schema: Any, name: str, loc: Locator,
                 problems: list[Problem]) -> None:
    where = f"[{name}]" if name else "the top level"
    for key, value in table.items():
        line = loc.line_of(name, key=key)
        if isinstance(schema, AnyKeys):
            if schema.regex_keys:
                try:
                    re.compile(key)
                except re.error as exc:
                    problems.append((line, f"pattern '{key}' in {where} is not a valid "
                                           f"regular expression: {exc}"))
            _check_value(key, value, schema.value, where, line, loc, name, problems)
            continue
        spec = schema.get(key)
        sub = f"{name}.{key}" if name else key
        if spec is None:
            hint = difflib.get_close_matches(key, list(schema), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            if isinstance(value, dict):
                problems.append((loc.table_line(sub), f"unknown table '{sub}'{extra}"))
            else:
                problems.append((line, f"unknown key '{key}' in {where}{extra}"))
        elif isinstance(spec, Key):
            _check_value(key, value, spec, where, line, loc, name, problems)
        elif not isinstance(value, dict):
            problems.append((line, f"'{key}' in {where} must be a table [{sub}]"))
        else:
            _check_table(value, spec, sub, loc, problems)


def check(doc: Document, schema: Schema) -> list[Problem]:
    """Every problem of a parsed file against `schema`, sorted by line."""
    problems: list[Problem] = []
    _check_table(doc.data, schema, "", doc.locator, problems)
    problems.sort(key=lambda p: p[0])
    return problems


def problems(path: Path | str, schema: Schema) -> list[str]:
    """Validate one config file; its problems as 'file:line: message' (empty when it is fine)."""
    doc, found = parse(path)
    if doc is not None:
        found = check(doc, schema)
    return [f"{path}:{line}: {msg}" for line, msg in found]


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` over `base` key by key: tables merge, any other value replaces (copies both)."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read(path: Path | str, schema: Schema, what: str) -> dict[str, Any]:
    """The data of one file, checked against `schema`; `ConfigError` names the first problem.

    `what` names the file in the sentence, e.g. "scoring configuration".
    """
    doc, found = parse(path)
    if doc is not None:
        found = check(doc, schema)
    if found:
        line, msg = found[0]
        at = f"line {line}: " if line else ""
        more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
        raise ConfigError(f"Cannot read the {what} {path}: {at}{msg}{more}.")
    assert doc is not None
    return doc.data


def stamp(*paths: str | Path | None) -> tuple[tuple[str, int, int], ...]:
    """What a loader that keeps a file's reading in memory keys it by besides the path: each
    file's size and modification time, so a file edited in place is read again (a review server
    or a notebook runs for hours). A missing file stamps as (path, -1, -1)."""
    out = []
    for p in paths:
        if p is None:
            continue
        try:
            st = Path(p).stat()
        except OSError:
            out.append((str(p), -1, -1))
        else:
            out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


def load(builtin: Path, path: str | Path | None, schema: Schema, what: str) -> dict[str, Any]:
    """The built-in file's data with the user file at `path` (if any) over it, key by key."""
    data = read(builtin, schema, what)
    if path is not None and Path(path).resolve() != builtin.resolve():
        data = merge(data, read(path, schema, what))
    return data
