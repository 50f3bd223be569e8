"""The QA review page: a small local web application over the audit database.

``auditor serve --db calls.db`` starts it. Why the standard library's ``ThreadingHTTPServer``
and no framework: a handful of routes over one SQLite file, used by a few reviewers on a local
network, needs nothing more, and the auditor keeps no web dependency to install or patch.

Routes::

    GET  /                          the queue page (static HTML + queue.js)
    GET  /calls/<call_id>           the call page; the transcript is rendered here, escaped
    GET  /static/<name>             the page's CSS and JS (a fixed list of files)
    GET  /api/queue?category=&severity=&agent=&date=&state=
    GET  /api/facets                values for the queue's filter menus
    GET  /api/calls/<call_id>       the call as JSON (transcript, metrics, flags, scores)
    GET  /api/calls/<call_id>/audio the call's recording, with HTTP range requests
    GET  /api/me                    who is signed in, and whether a verdict needs it
    POST /api/flags/<flag_id>/review  {"verdict", "reviewer", "comment"} as JSON
    POST /api/calls/<call_id>/missed  {"category", "at", "comment", "reviewer"}: a missed violation
    POST /api/calls/<call_id>/spot-check  {"reviewer", "reopen"}: a spot check listened to

Safety:

* bound to loopback by default; any other address needs tokens (``make_server`` refuses
  without a ``--token`` or a reviewer from ``auditor reviewers add``) and then every request
  must carry one: ``Authorization: Bearer T``, the ``X-Auditor-Token`` header, or the cookie
  set when the page is opened with ``?token=T``;
* a reviewer's token signs the reviewer in (``auditor.review.reviewers``): their verdicts and
  marks carry their name, never a typed one. Off loopback a verdict or mark needs a reviewer's
  token (the shared ``--token`` only reads); on loopback a typed name is still accepted;
* without a token, the ``Host`` header must name a loopback address (a DNS-rebinding page
  cannot reach the server under its own name);
* a state change (POST) must come with JSON and either the token in a header or an
  ``Origin`` (or, lacking it, ``Referer``) of this very server: another site's page cannot
  record verdicts through the reviewer's browser;
* audio is served only by call id, from the path the database holds, after checking the
  file's sha256 is that id (``auditor.review.verdicts.audio_file``); no route takes a path;
* transcript text is escaped with ``html.escape`` here and set with ``textContent`` in the
  page scripts; a Content-Security-Policy forbids inline and foreign scripts.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import json
import re
import socket
import sys
import threading
from collections.abc import Iterable
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from auditor.core.errors import AuditorError
from auditor.core.timefmt import clock
from auditor.review import reviewers
from auditor.review import verdicts as review
from auditor.store.db import Store, StoreError

STATIC_DIR = Path(__file__).parent / "static"
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
COOKIE = "auditor_token"
MAX_BODY = 64 * 1024
CHUNK = 64 * 1024
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_CALL_ID = r"[A-Za-z0-9_-]{1,128}"
_ROUTES_GET = (
    (re.compile(r"/"), "_page_queue"),
    (re.compile(rf"/calls/({_CALL_ID})"), "_page_call"),
    (re.compile(r"/static/([A-Za-z0-9_-]+\.[a-z]+)"), "_static"),
    (re.compile(r"/api/queue"), "_api_queue"),
    (re.compile(r"/api/facets"), "_api_facets"),
    (re.compile(rf"/api/calls/({_CALL_ID})"), "_api_call"),
    (re.compile(rf"/api/calls/({_CALL_ID})/audio"), "_api_audio"),
)
_ROUTES_GET += ((re.compile(r"/api/me"), "_api_me"),)
_ROUTES_POST = (
    (re.compile(r"/api/flags/([0-9]{1,12})/review"), "_api_review"),
    (re.compile(rf"/api/calls/({_CALL_ID})/missed"), "_api_missed"),
    (re.compile(rf"/api/calls/({_CALL_ID})/spot-check"), "_api_spot_check"),
)


class ServeError(AuditorError):
    """The server cannot start as asked; the message says what to do."""


class SignInRequired(review.ReviewError):
    """A change off loopback from someone who is not signed in as a reviewer."""


class RangeNotSatisfiable(Exception):
    """The Range header asks for bytes the file does not have."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 possibly in brackets) is this machine only."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The byte range ``(first, last)`` (inclusive) asked by a ``Range`` header, or None.

    None means "send the whole file": no header, another unit, a malformed value or several
    ranges (which RFC 9110 lets a server ignore). Raises :class:`RangeNotSatisfiable` for a
    range that starts past the end of the file.
    """
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        return None
    first_s, last_s = m.groups()
    if not first_s:  # suffix: the last N bytes
        n = int(last_s)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - n), size - 1
    first = int(first_s)
    last = int(last_s) if last_s else size - 1
    if first >= size:
        raise RangeNotSatisfiable(header)
    if last < first:
        return None
    return first, min(last, size - 1)


class AuditorServer(ThreadingHTTPServer):
    """The review server: the database, the token and where relative recording paths live."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        db: Path,
        host: str,
        port: int,
        token: str | None,
        roots: Iterable[Path] = (),
        quiet: bool = False,
    ) -> None:
        self.db_path = Path(db)
        self.token = token or None
        self.roots = tuple(Path(r) for r in roots)
        self.quiet = quiet
        self.loopback = is_loopback(host)
        # Off loopback every request needs a token (the shared one or a reviewer's).
        self.needs_token = bool(self.token) or not self.loopback
        bare = host.strip("[]")
        if ":" in bare:
            self.address_family = socket.AF_INET6
        super().__init__((bare, port), ReviewHandler)

    @property
    def url(self) -> str:
        """The address to open, with the token when there is one."""
        host, port = self.server_address[:2]
        if host in ("0.0.0.0", "::"):  # every interface: show a name others can reach
            host = socket.gethostname()
        shown = f"[{host}]" if ":" in str(host) else str(host)
        url = f"http://{shown}:{port}/"
        return url + ("?" + urlencode({"token": self.token}) if self.token else "")

    def open_store(self) -> Store:
        """A connection for one request (SQLite connections stay in their thread)."""
        return Store(self.db_path)


def make_server(
    db: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    quiet: bool = False,
) -> AuditorServer:
    """Check the database and the address, then bind the server (not yet serving).

    Refuses (``ServeError``) a missing or unusable database and a non-loopback address without
    a token. ``port=0`` picks a free port (see ``server.url``).
    """
    db = Path(db)
    if not db.is_file():
        raise ServeError(f"{db} does not exist; run `auditor run PATH --db {db}` first")
    if token is not None and len(token) < 8:
        raise ServeError("the token is too short: use at least 8 characters (16+ random ones)")
    try:
        with Store(db) as store:  # migrates an older database once, before any request
            has_reviewers = bool(store.reviewers())
    except StoreError as exc:
        raise ServeError(str(exc)) from exc
    if not is_loopback(host) and not token and not has_reviewers:
        raise ServeError(
            f"{host} is reachable from other machines: add reviewers who sign in with their "
            f"token (`auditor reviewers add NAME --db {db}`) or give --token (a long random "
            "string, read-only), or bind to 127.0.0.1"
        )
    try:
        return AuditorServer(db, host, port, token, roots=(db.resolve().parent,), quiet=quiet)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve_in_thread(server: AuditorServer) -> threading.Thread:
    """Serve in a daemon thread (tests and embedding); stop with ``server.shutdown()``."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="auditor-web", daemon=True
    )
    thread.start()
    return thread


class ReviewHandler(BaseHTTPRequestHandler):
    """One request: access checks, then the route."""

    server: AuditorServer
    server_version = "auditor-review"
    sys_version = ""

    def version_string(self) -> str:
        """No Python version in the Server header."""
        return self.server_version
    protocol_version = "HTTP/1.1"

    # ------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(_ROUTES_GET, head=False)

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(_ROUTES_GET, head=True)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch(_ROUTES_POST, head=False)

    def do_PUT(self) -> None:  # noqa: N802 - stdlib name
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed")

    do_DELETE = do_PATCH = do_OPTIONS = do_PUT

    def _dispatch(self, routes: tuple[tuple[re.Pattern[str], str], ...], head: bool) -> None:
        self.head = head
        parts = urlsplit(self.path)
        self.url_path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            if not self._allowed():
                return
            for pattern, name in routes:
                m = pattern.fullmatch(self.url_path)
                if m:
                    getattr(self, name)(*m.groups())
                    return
            self._error(HTTPStatus.NOT_FOUND, "no such page")
        except review.NotFound as exc:
            self._error(HTTPStatus.NOT_FOUND, str(exc))
        except SignInRequired as exc:
            self._error(HTTPStatus.FORBIDDEN, str(exc))
        except (review.ReviewError, StoreError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _is_api(self) -> bool:
        return self.url_path.startswith("/api/")

    def _headers(
        self, status: int, ctype: str, length: int, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")
        if ctype.startswith("text/html"):
            self.send_header("Content-Security-Policy", CSP)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def _send(
        self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self._headers(status, ctype, len(body), {"Cache-Control": "no-store", **(extra or {})})
        if not self.head:
            self.wfile.write(body)

    def _json(self, obj: Any, status: int = HTTPStatus.OK) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _error(
        self, status: int, message: str, extra: dict[str, str] | None = None, signin: bool = False
    ) -> None:
        if getattr(self, "url_path", "").startswith("/api/"):
            body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
            self._send(status, body, "application/json; charset=utf-8", extra)
            return
        form = (
            "<form method=get action='/'><label>Token <input name=token type=password "
            "autocomplete=current-password size=50></label> <button>Sign in</button></form>"
            if signin
            else ""
        )
        page = (
            "<!doctype html><meta charset=utf-8><title>Call Auditor</title>"
            f"<p>{html.escape(message)}</p>{form}<p><a href='/'>Back to the queue</a></p>"
        )
        self._send(status, page.encode("utf-8"), "text/html; charset=utf-8", extra)

    # ------------------------------------------------------------ access

    def _given_token(self) -> tuple[str | None, str]:
        """The token this request carries and where: header, cookie or query."""
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), "header"
        if self.headers.get("X-Auditor-Token"):
            return self.headers["X-Auditor-Token"].strip(), "header"
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie", ""))
        except Exception:  # a malformed cookie header is just no cookie
            cookie = SimpleCookie()
        if COOKIE in cookie:
            return cookie[COOKIE].value, "cookie"
        if "token" in self.query:
            return self.query["token"], "query"
        return None, ""

    def _allowed(self) -> bool:
        """Token, Host and same-origin checks; sends the refusal itself and returns False.

        Sets ``self.reviewer`` to the signed-in reviewer's name (None when not signed in).
        """
        host = self.headers.get("Host", "")
        shared = self.server.token
        given, where = self._given_token()
        self.reviewer = None
        valid = False
        if given is not None:
            if shared and hmac.compare_digest(given.encode(), shared.encode()):
                valid = True
            else:
                with self.server.open_store() as store:
                    self.reviewer = reviewers.authenticate(store, given)
                valid = self.reviewer is not None
        if self.server.needs_token:
            if not valid:
                self._error(
                    HTTPStatus.UNAUTHORIZED,
                    "this review server needs a token: open the address `auditor serve` "
                    "printed (it ends with ?token=...) or sign in with the token `auditor "
                    "reviewers add` gave you",
                    signin=True,
                )
                return False
        elif not is_loopback(_host_name(host)):
            self._error(HTTPStatus.FORBIDDEN, "this server answers only to a loopback address")
            return False
        if valid and where == "query" and self.command == "GET" and not self._is_api():
            # Keep the token out of the address bar and history: a cookie from now on.
            rest = {k: v for k, v in self.query.items() if k != "token"}
            target = self.url_path + ("?" + urlencode(rest) if rest else "")
            self._send(
                HTTPStatus.SEE_OTHER,
                b"",
                "text/plain",
                {
                    "Location": target,
                    "Set-Cookie": f"{COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/",
                },
            )
            return False
        if self.command == "POST" and not (valid and where == "header"):
            if not _same_origin(self.headers.get("Origin"), self.headers.get("Referer"), host):
                self._error(HTTPStatus.FORBIDDEN, "cross-origin request refused")
                return False
        return True

    def _signer(self, typed: str | None) -> tuple[str | None, bool]:
        """Who signs a verdict or mark: the signed-in reviewer, else (on loopback) the typed name.

        Off loopback a reviewer must be signed in: raises :class:`SignInRequired`.
        """
        if self.reviewer:
            return self.reviewer, True
        if not self.server.loopback:
            raise SignInRequired(
                "sign in with your reviewer token to record verdicts (`auditor reviewers add`)"
            )
        return typed, False

    # ------------------------------------------------------------ pages

    def _page_queue(self) -> None:
        self._send(HTTPStatus.OK, _read_static("queue.html"), STATIC_TYPES[".html"])

    def _page_call(self, call_id: str) -> None:
        with self.server.open_store() as store:
            view = review.call_view(store, call_id)
        page = render_call_page(view)
        self._send(HTTPStatus.OK, page.encode("utf-8"), STATIC_TYPES[".html"])

    def _static(self, name: str) -> None:
        suffix = Path(name).suffix
        if suffix not in STATIC_TYPES or name not in _static_names():
            self._error(HTTPStatus.NOT_FOUND, "no such file")
            return
        self._send(HTTPStatus.OK, _read_static(name), STATIC_TYPES[suffix])

    # ------------------------------------------------------------ API

    def _api_queue(self) -> None:
        filt = review.QueueFilter.from_query(self.query)
        with self.server.open_store() as store:
            self._json(review.queue(store, filt))

    def _api_facets(self) -> None:
        with self.server.open_store() as store:
            self._json(review.facets(store))

    def _api_call(self, call_id: str) -> None:
        with self.server.open_store() as store:
            self._json(review.call_view(store, call_id))

    def _body(self, names: tuple[str, ...]) -> dict[str, Any] | None:
        """The POST's JSON object, its ``names`` fields as strings (or None); refuses the rest.

        Sends the refusal itself and returns None: not JSON, too large, not an object, or a
        field that is not a string.
        """
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the request as JSON")
            return None
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the request body is too large")
            return None
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, UnicodeDecodeError):
            self._error(HTTPStatus.BAD_REQUEST, "the request body is not valid JSON")
            return None
        if not isinstance(body, dict):
            self._error(HTTPStatus.BAD_REQUEST, "send a JSON object")
            return None
        fields = {k: body.get(k) for k in names}
        if not all(v is None or isinstance(v, str) for v in fields.values()):
            self._error(HTTPStatus.BAD_REQUEST, ", ".join(names) + " are strings")
            return None
        return fields

    def _api_me(self) -> None:
        self._json({"reviewer": self.reviewer, "sign_in_required": not self.server.loopback})

    def _api_review(self, flag_id: str) -> None:
        fields = self._body(("verdict", "reviewer", "comment"))
        if fields is None:
            return
        name, signed_in = self._signer(fields["reviewer"])
        with self.server.open_store() as store:
            result = review.record_verdict(
                store, int(flag_id), fields["verdict"] or "", name, fields["comment"],
                signed_in=signed_in,
            )
        self._json(result)

    def _api_missed(self, call_id: str) -> None:
        fields = self._body(("category", "at", "comment", "reviewer"))
        if fields is None:
            return
        name, signed_in = self._signer(fields["reviewer"])
        with self.server.open_store() as store:
            result = review.mark_missed(
                store, call_id, fields["category"] or "", fields["at"], fields["comment"], name,
                signed_in=signed_in,
            )
        self._json(result)

    def _api_spot_check(self, call_id: str) -> None:
        fields = self._body(("reviewer", "reopen"))
        if fields is None:
            return
        name, _ = self._signer(fields["reviewer"])
        with self.server.open_store() as store:
            result = review.check_spot(store, call_id, name, reopen=fields["reopen"] == "yes")
        self._json({"spot_check": result})

    def _api_audio(self, call_id: str) -> None:
        with self.server.open_store() as store:
            audio = review.audio_file(store, call_id, self.server.roots)
        size = audio.size
        try:
            rng = parse_range(self.headers.get("Range"), size)
        except RangeNotSatisfiable:
            self._error(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                "range not satisfiable",
                {"Content-Range": f"bytes */{size}"},
            )
            return
        extra = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
        if rng is None:
            first, last, status = 0, size - 1, HTTPStatus.OK
        else:
            first, last = rng
            status = HTTPStatus.PARTIAL_CONTENT
            extra["Content-Range"] = f"bytes {first}-{last}/{size}"
        length = max(0, last - first + 1)
        self._headers(status, audio.content_type, length, extra)
        if self.head or length == 0:
            return
        with open(audio.path, "rb") as f:
            f.seek(first)
            left = length
            while left > 0:
                block = f.read(min(CHUNK, left))
                if not block:
                    break
                self.wfile.write(block)
                left -= len(block)


def _host_name(host_header: str) -> str:
    """The name part of a Host header (``[::1]:8000`` -> ``::1``)."""
    host = host_header.strip()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _same_origin(origin: str | None, referer: str | None, host: str) -> bool:
    """Whether the Origin (or, when absent, the Referer) is ``http://<Host>``."""
    if not host:
        return False
    expected = f"http://{host}".lower()
    if origin:
        return origin.strip().lower() == expected
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == expected
    return False


def _static_names() -> set[str]:
    return {p.name for p in STATIC_DIR.iterdir() if p.is_file()}


def _read_static(name: str) -> bytes:
    return (STATIC_DIR / name).read_bytes()


# ---------------------------------------------------------------- the call page


SPEAKER_LABELS = {"agent": "Agent", "customer": "Customer", "unknown": "Unknown"}


def render_call_page(view: dict[str, Any]) -> str:
    """The call page with its transcript rendered and escaped here; call.js adds the rest.

    The transcript is in the HTML itself (readable without scripts, and one place that escapes
    it); every value from the database goes through ``html.escape``.
    """
    esc = html.escape
    rows = []
    for u in view["utterances"]:
        speaker = str(u.get("speaker") or "unknown")
        cls = speaker if speaker in SPEAKER_LABELS else "unknown"
        meta = []
        if u.get("rate_cpm") is not None:
            meta.append(f"{float(u['rate_cpm']):.0f} 字/分")
        if u.get("loudness_dbfs") is not None:
            meta.append(f"{float(u['loudness_dbfs']):.1f} dBFS")
        rows.append(
            f'<li class="utt {esc(cls)}" id="u{int(u["idx"])}" data-idx="{int(u["idx"])}" '
            f'data-start="{float(u.get("start") or 0):.3f}" '
            f'data-end="{float(u.get("end") or 0):.3f}" tabindex="-1">'
            f'<div class="bubble"><div class="who">{esc(SPEAKER_LABELS.get(cls, cls))} '
            f'<span class="time">{clock(u.get("start"))}</span>'
            f'<span class="umeta">{esc(" · ".join(meta))}</span></div>'
            f'<div class="text">{esc(str(u.get("text") or ""))}</div></div></li>'
        )
    transcript = "\n".join(rows) or '<li class="empty">No transcript.</li>'
    template = _read_static("call.html").decode("utf-8")
    values = {
        "call_id": esc(view["call_id"]),
        "file": esc(view.get("file") or view["call_id"][:12]),
        "audio_url": esc(view["audio_url"]),
        "transcript": transcript,
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), ""), template)
