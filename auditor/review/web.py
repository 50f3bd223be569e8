"""The QA review page: a small local web application over the audit database.

``auditor serve --db calls.db`` starts it. Why Starlette on uvicorn: the standard library's
``http.server`` is documented as not for production; Starlette is a small, maintained ASGI
toolkit (routing, requests, streaming responses) and uvicorn a maintained ASGI server, as
Datasette serves its pages. The safety rules below are this module's own, on top of it.

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
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

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



class AuditorServer:
    """The review server: uvicorn serving :func:`create_app` on a socket bound at creation.

    Binding in the constructor lets ``port=0`` report the free port picked (``url``,
    ``server_address``) before serving, and a refused address fail at once.
    """

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
        family = socket.AF_INET6 if ":" in bare else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((bare, port))
            self.socket.listen(128)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        self.app = create_app(self)
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            access_log=not quiet,
            log_level="warning" if quiet else "info",
            log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
            server_header=False,
            proxy_headers=False,
            timeout_graceful_shutdown=2,
        )
        self._uvicorn = uvicorn.Server(config)
        self._stopped = threading.Event()

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

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (or Ctrl-C in the main thread)."""
        self._stopped.clear()
        try:
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serving and wait until the server has stopped."""
        self._uvicorn.should_exit = True
        self._stopped.wait(10)

    def server_close(self) -> None:
        """Release the listening socket."""
        self.socket.close()


def make_server(
    db: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    quiet: bool = False,
) -> AuditorServer:
    """Check the database and the address, then bind the server (not yet serving).

    Refuses (``ServeError``) a missing or unusable database and a non-loopback address with
    neither a token nor a reviewer who could sign in. ``port=0`` picks a free port (see
    ``server.url``).
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
    thread = threading.Thread(target=server.serve_forever, name="auditor-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server._uvicorn.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread


# ---------------------------------------------------------------- responses


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(
    request: Request,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    signin: bool = False,
) -> Response:
    """A refusal: JSON ``{"error"}`` under /api/, else a short escaped HTML page."""
    if _is_api(request):
        return JSONResponse({"error": message}, status, headers=headers)
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
    return HTMLResponse(page, status, headers=headers)


class JSONResponse(Response):
    """JSON with Chinese text as it is (not ``\\u`` escapes)."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False).encode("utf-8")


class HTMLResponse(Response):
    media_type = "text/html; charset=utf-8"


_SAFETY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


class Guard:
    """The access checks every request passes before any route, and the safety headers.

    Token, Host and same-origin checks as the module docstring says; the signed-in reviewer
    goes to ``request.state.reviewer``. Every response gets nosniff, same-origin referrer,
    no framing, ``Cache-Control: no-store`` unless it set its own, and HTML the CSP.
    """

    def __init__(self, app: Any, server: AuditorServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_safely(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                headers += list(_SAFETY_HEADERS)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                ctype = dict(headers).get(b"content-type", b"")
                if ctype.startswith(b"text/html"):
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        request = Request(scope)
        refusal, reviewer = await run_in_threadpool(self.check, request)
        if refusal is not None:
            await refusal(scope, receive, send_safely)
            return
        scope.setdefault("state", {})["reviewer"] = reviewer
        await self.app(scope, receive, send_safely)

    def check(self, request: Request) -> tuple[Response | None, str | None]:
        """The refusal to send (or None) and the signed-in reviewer's name (or None)."""
        server = self.server
        host = request.headers.get("host", "")
        given, where = _given_token(request)
        reviewer = None
        valid = False
        if given is not None:
            if server.token and hmac.compare_digest(given.encode(), server.token.encode()):
                valid = True
            else:
                with server.open_store() as store:
                    reviewer = reviewers.authenticate(store, given)
                valid = reviewer is not None
        if server.needs_token:
            if not valid:
                return error_response(
                    request,
                    HTTPStatus.UNAUTHORIZED,
                    "this review server needs a token: open the address `auditor serve` "
                    "printed (it ends with ?token=...) or sign in with the token `auditor "
                    "reviewers add` gave you",
                    signin=True,
                ), None
        elif not is_loopback(_host_name(host)):
            return error_response(
                request, HTTPStatus.FORBIDDEN, "this server answers only to a loopback address"
            ), None
        if valid and where == "query" and request.method == "GET" and not _is_api(request):
            # Keep the token out of the address bar and history: a cookie from now on.
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = request.url.path + ("?" + urlencode(rest) if rest else "")
            return Response(
                b"",
                HTTPStatus.SEE_OTHER,
                headers={
                    "Location": target,
                    "Set-Cookie": f"{COOKIE}={given}; HttpOnly; SameSite=Strict; Path=/",
                },
                media_type="text/plain",
            ), None
        if request.method == "POST" and not (valid and where == "header"):
            origin, referer = request.headers.get("origin"), request.headers.get("referer")
            if not _same_origin(origin, referer, host):
                return error_response(
                    request, HTTPStatus.FORBIDDEN, "cross-origin request refused"
                ), None
        return None, reviewer


def _given_token(request: Request) -> tuple[str | None, str]:
    """The token a request carries and where: header, cookie or query."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), "header"
    if request.headers.get("x-auditor-token"):
        return request.headers["x-auditor-token"].strip(), "header"
    if COOKIE in request.cookies:
        return request.cookies[COOKIE], "cookie"
    if "token" in request.query_params:
        return request.query_params["token"], "query"
    return None, ""


# ---------------------------------------------------------------- the application


def create_app(server: AuditorServer) -> Any:
    """The Starlette application of the review page over ``server``'s database."""

    def store() -> Store:
        return server.open_store()

    def signer(request: Request, typed: str | None) -> tuple[str | None, bool]:
        """The signed-in reviewer, else (on loopback only) the typed name."""
        reviewer = request.state.reviewer
        if reviewer:
            return reviewer, True
        if not server.loopback:
            raise SignInRequired(
                "sign in with your reviewer token to record verdicts (`auditor reviewers add`)"
            )
        return typed, False

    def page_queue(request: Request) -> Response:
        return HTMLResponse(_read_static("queue.html"))

    def page_call(request: Request) -> Response:
        with store() as s:
            view = review.call_view(s, request.path_params["call_id"])
        return HTMLResponse(render_call_page(view))

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        suffix = Path(name).suffix
        if suffix not in STATIC_TYPES or name not in _static_names():
            return error_response(request, HTTPStatus.NOT_FOUND, "no such file")
        return Response(_read_static(name), media_type=STATIC_TYPES[suffix])

    def api_queue(request: Request) -> Response:
        filt = review.QueueFilter.from_query(dict(request.query_params))
        with store() as s:
            return JSONResponse(review.queue(s, filt))

    def api_facets(request: Request) -> Response:
        with store() as s:
            return JSONResponse(review.facets(s))

    def api_me(request: Request) -> Response:
        return JSONResponse(
            {"reviewer": request.state.reviewer, "sign_in_required": not server.loopback}
        )

    def api_call(request: Request) -> Response:
        with store() as s:
            return JSONResponse(review.call_view(s, request.path_params["call_id"]))

    def api_audio(request: Request) -> Response:
        with store() as s:
            audio = review.audio_file(s, request.path_params["call_id"], server.roots)
        size = audio.size
        try:
            rng = parse_range(request.headers.get("range"), size)
        except RangeNotSatisfiable:
            return error_response(
                request,
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                "range not satisfiable",
                {"Content-Range": f"bytes */{size}"},
            )
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
        if rng is None:
            first, last, status = 0, size - 1, HTTPStatus.OK
        else:
            first, last = rng
            status = HTTPStatus.PARTIAL_CONTENT
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        length = max(0, last - first + 1)
        headers["Content-Length"] = str(length)
        if request.method == "HEAD" or length == 0:
            return Response(b"", status, headers=headers, media_type=audio.content_type)

        def chunks() -> Iterator[bytes]:
            with open(audio.path, "rb") as f:
                f.seek(first)
                left = length
                while left > 0:
                    block = f.read(min(CHUNK, left))
                    if not block:
                        break
                    left -= len(block)
                    yield block

        return StreamingResponse(chunks(), status, headers=headers,
                                 media_type=audio.content_type)

    async def body(request: Request, names: tuple[str, ...]) -> dict[str, Any] | Response:
        """The POST's JSON object with ``names`` as strings (or None), or the refusal."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return error_response(
                request, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the request as JSON"
            )
        try:
            length = int(request.headers.get("content-length", "0"))
        except ValueError:
            length = -1
        too_large = error_response(
            request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the request body is too large"
        )
        if length < 0 or length > MAX_BODY:
            return too_large
        data = b""
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_BODY:
                return too_large
        try:
            parsed = json.loads(data or b"{}")
        except (ValueError, UnicodeDecodeError):
            return error_response(
                request, HTTPStatus.BAD_REQUEST, "the request body is not valid JSON"
            )
        if not isinstance(parsed, dict):
            return error_response(request, HTTPStatus.BAD_REQUEST, "send a JSON object")
        fields = {k: parsed.get(k) for k in names}
        if not all(v is None or isinstance(v, str) for v in fields.values()):
            message = ", ".join(names) + " are strings"
            return error_response(request, HTTPStatus.BAD_REQUEST, message)
        return fields

    async def posted(request: Request, names: tuple[str, ...],
                     action: Callable[[Store, dict[str, Any], str | None, bool], Any]) -> Any:
        """A POST's fields checked, its signer settled, and `action` run on the store (in a
        thread); the checked-fields refusal comes back as a Response."""
        fields = await body(request, names)
        if isinstance(fields, Response):
            return fields
        name, signed_in = signer(request, fields["reviewer"])

        def run() -> Any:
            with store() as s:
                return action(s, fields, name, signed_in)

        return await run_in_threadpool(run)

    def answer(result: Any, key: str | None = None) -> Response:
        if isinstance(result, Response):
            return result
        return JSONResponse(result if key is None else {key: result})

    async def api_review(request: Request) -> Response:
        return answer(await posted(
            request, ("verdict", "reviewer", "comment"),
            lambda s, f, name, signed_in: review.record_verdict(
                s, int(request.path_params["flag_id"]), f["verdict"] or "", name, f["comment"],
                signed_in=signed_in)))

    async def api_missed(request: Request) -> Response:
        return answer(await posted(
            request, ("category", "at", "comment", "reviewer"),
            lambda s, f, name, signed_in: review.mark_missed(
                s, request.path_params["call_id"], f["category"] or "", f["at"], f["comment"],
                name, signed_in=signed_in)))

    async def api_spot_check(request: Request) -> Response:
        return answer(await posted(
            request, ("reviewer", "reopen"),
            lambda s, f, name, _signed_in: review.check_spot(
                s, request.path_params["call_id"], name, reopen=f["reopen"] == "yes")),
            "spot_check")

    def refused(status: int) -> Any:
        async def handler(request: Request, exc: Exception) -> Response:
            return error_response(request, status, str(exc))

        return handler

    async def http_error(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        message = {404: "no such page", 405: "method not allowed"}.get(code, "refused")
        return error_response(request, code, message)

    get = ["GET"]  # Starlette answers HEAD on GET routes
    post = ["POST"]
    routes = [
        Route("/", page_queue, methods=get),
        Route("/calls/{call_id:callid}", page_call, methods=get),
        Route("/static/{name:staticname}", static, methods=get),
        Route("/api/queue", api_queue, methods=get),
        Route("/api/facets", api_facets, methods=get),
        Route("/api/me", api_me, methods=get),
        Route("/api/calls/{call_id:callid}", api_call, methods=get),
        Route("/api/calls/{call_id:callid}/audio", api_audio, methods=get),
        Route("/api/flags/{flag_id:flagid}/review", api_review, methods=post),
        Route("/api/calls/{call_id:callid}/missed", api_missed, methods=post),
        Route("/api/calls/{call_id:callid}/spot-check", api_spot_check, methods=post),
    ]
    handlers: dict[Any, Any] = {
        review.NotFound: refused(HTTPStatus.NOT_FOUND),
        SignInRequired: refused(HTTPStatus.FORBIDDEN),
        review.ReviewError: refused(HTTPStatus.BAD_REQUEST),
        StoreError: refused(HTTPStatus.BAD_REQUEST),
        HTTPException: http_error,
    }
    app = Starlette(routes=routes, exception_handlers=handlers)
    return Guard(app, server)


class _Pattern(Convertor):  # type: ignore[type-arg]
    """A path segment that must match ``regex`` (else the route does not match: 404)."""

    def __init__(self, regex: str) -> None:
        self.regex = regex

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: Any) -> str:
        return str(value)


register_url_convertor("callid", _Pattern(_CALL_ID))
register_url_convertor("flagid", _Pattern(r"[0-9]{1,12}"))
register_url_convertor("staticname", _Pattern(r"[A-Za-z0-9_-]+\.[a-z]+"))


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
