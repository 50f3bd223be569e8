"""The QA review server and `auditor review`: a real server on 127.0.0.1, a hand-made database.

Each test talks HTTP to the review server (Starlette on uvicorn) on a free port (no browser;
tests/test_browser.py drives Chromium). The database holds one call with a tiny generated WAV
whose sha256 is its id, exactly as the batch stores it, and a second call whose recording is
not on disk.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from auditor.batch.run import save_audited
from auditor.cli.main import cli
from auditor.review import verdicts as review
from auditor.review import web
from auditor.store.db import Store

XSS = "<script>alert('x')</script>您好"
TOKEN = "s3cret-token-for-tests"


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short mono 16-bit tone; returns the file's bytes."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path.read_bytes()


def card(path: str, flags: list[dict[str, Any]], duration: float = 30.0) -> dict[str, Any]:
    """A scorecard in the spec's shape with delivery measures on each utterance."""
    return {
        "file": path,
        "status": "ok",
        "error": None,
        "duration_s": duration,
        "channels": 2,
        "layout": "stereo",
        "asr": {"model": "fake", "language": "zh", "speech_s": 20.0, "coverage": 1.0},
        "utterances": [
            {"speaker": "agent", "start": 0.5, "end": 3.0, "text": XSS,
             "rate_cpm": 280.0, "loudness_dbfs": -26.0},
            {"speaker": "customer", "start": 3.5, "end": 4.5, "text": "是我。",
             "rate_cpm": 240.0, "loudness_dbfs": -27.0},
            {"speaker": "agent", "start": 5.0, "end": 9.0, "text": "你就是个老赖，后果自负",
             "rate_cpm": 430.0, "loudness_dbfs": -15.5},
        ],
        "metrics": {
            "agent": {"speech_rate_cpm": 300.0, "loudness_dbfs": -24.0},
            "customer": {"speech_rate_cpm": 240.0},
            "silences": [{"start": 10.0, "end": 21.0, "s": 11.0}],
            "overlaps": [],
        },
        "steps": {"greeting": True},
        "flags": flags,
        "score": None,
        "passed": None,
    }


ABUSE = {"category": "abuse", "rule": "abuse.insult", "severity": "critical", "speaker": "agent",
         "start": 5.0, "end": 9.0, "evidence": "你就是个老赖", "matched": "老赖"}
SHOUT = {"category": "shouting", "rule": "delivery.shouting", "severity": "major",
         "speaker": "agent", "start": 5.0, "end": 9.0, "evidence": "后果自负", "matched": "+9 dB"}
SILENCE = {"category": "long_silence", "rule": "delivery.long_silence", "severity": "minor",
           "speaker": None, "start": 10.0, "end": 21.0, "evidence": "", "matched": "11 s"}


class Env:
    """The database, its calls and the recording on disk."""

    def __init__(self, tmp: Path) -> None:
        self.db = tmp / "calls.db"
        self.wav = tmp / "rec" / "call one.wav"
        self.wav.parent.mkdir()
        self.audio = write_wav(self.wav)
        self.call_id = hashlib.sha256(self.audio).hexdigest()
        self.other_id = "ab" * 32
        with Store(self.db) as store:
            save_audited(store, card(str(self.wav), [ABUSE, SHOUT, SILENCE]),
                         call_id=self.call_id, path=str(self.wav), size=len(self.audio),
                         model="m", rules_version="r")
            save_audited(store, card("/gone/mild.mp3", [SILENCE]), call_id=self.other_id,
                         path="/gone/mild.mp3", size=10, model="m", rules_version="r")
            self.flag_ids = [r["id"] for r in store.db.query(
                "SELECT id FROM flags WHERE call_id = ? ORDER BY idx", [self.call_id])]


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


class Client:
    """Plain HTTP to the server under test (http.client: no redirects followed, raw paths)."""

    def __init__(self, server: web.AuditorServer) -> None:
        self.port = server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload

    def get_json(self, path: str, **kw: Any) -> Any:
        status, _, body = self.request("GET", path, **kw)
        assert status == 200, body
        return json.loads(body)

    def verdict(self, flag_id: int, headers: dict[str, str] | None = None,
                **fields: Any) -> tuple[int, Any]:
        hdrs = {"Origin": self.origin} if headers is None else headers
        status, _, body = self.request("POST", f"/api/flags/{flag_id}/review", fields, hdrs)
        return status, json.loads(body or b"null")


def start(db: Path, host: str = "127.0.0.1", token: str | None = None) -> web.AuditorServer:
    server = web.make_server(db, host=host, port=0, token=token, quiet=True)
    web.serve_in_thread(server)
    return server


@pytest.fixture
def client(env: Env) -> Iterator[Client]:
    server = start(env.db)
    try:
        yield Client(server)
    finally:
        server.shutdown()
        server.server_close()


def review_row(db: Path, flag_id: int) -> dict[str, Any]:
    with Store(db) as store:
        return next(store.db.query(
            "SELECT review_status, reviewer, comment, reviewed_at FROM flags WHERE id = ?",
            [flag_id]))


# ---------------------------------------------------------------- reading


def test_queue_lists_flagged_calls_worst_first_with_what_is_left(env: Env, client: Client):
    data = client.get_json("/api/queue")
    assert [c["call_id"] for c in data["calls"]] == [env.call_id, env.other_id]
    first = data["calls"][0]
    assert (first["score"], first["passed"], first["worst"], first["unreviewed"]) == (
        42, False, "critical", 3)  # 100 - 40 - 15 - 3 (long_silence has its own figure)
    assert first["file"] == "call one.wav"  # the name only: no folder leaks to the page
    assert data["left"] == {"flags": 4, "calls": 2}
    only_abuse = client.get_json("/api/queue?category=abuse")
    assert [c["call_id"] for c in only_abuse["calls"]] == [env.call_id]
    assert [f["category"] for f in only_abuse["calls"][0]["flags"]] == ["abuse"]
    assert only_abuse["left"] == {"flags": 1, "calls": 1}
    minor = client.get_json("/api/queue?severity=minor")
    assert {c["call_id"] for c in minor["calls"]} == {env.call_id, env.other_id}
    assert client.get_json("/api/queue?agent=nobody")["calls"] == []
    assert client.get_json("/api/queue?state=false_alarm")["calls"] == []
    status, _, body = client.request("GET", "/api/queue?state=maybe")
    assert status == 400 and b"review state" in body
    facets = client.get_json("/api/facets")
    assert facets["category"] == ["abuse", "long_silence", "shouting"]
    assert facets["severity"] == ["critical", "major", "minor"]


def test_call_json_has_transcript_flags_reviews_scores_and_measures(env: Env, client: Client):
    data = client.get_json(f"/api/calls/{env.call_id}")
    assert data["audio_url"] == f"/api/calls/{env.call_id}/audio"
    assert data["utterances"][0]["text"] == XSS  # JSON carries the raw text; pages escape it
    assert [f["flag_id"] for f in data["flags"]] == env.flag_ids
    assert data["flags"][0]["review"]["verdict"] == "unreviewed"
    shout = data["flags"][1]
    assert shout["utterances"] == [
        {"idx": 2, "speaker": "agent", "rate_cpm": 430.0, "loudness_dbfs": -15.5}]
    assert data["scores"] == {"before": 42, "after": 42, "passed_before": False,
                              "passed_after": False,
                              "subscores_after": data["scores"]["subscores_after"]}
    assert data["metrics"]["silences"][0]["s"] == 11.0
    status, _, body = client.request("GET", "/api/calls/" + "cd" * 32)
    assert status == 404 and "no call" in json.loads(body)["error"]


def test_call_page_escapes_transcript_text_and_forbids_inline_scripts(env: Env, client: Client):
    status, headers, body = client.request("GET", f"/calls/{env.call_id}")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;您好" in page
    assert "<script>alert" not in page
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert page.count('class="utt ') == 3 and 'data-start="5.000"' in page
    status, _, body = client.request("GET", "/")
    assert status == 200 and b'src="/static/queue.js"' in body
    status, headers, body = client.request("GET", "/static/call.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert b"innerHTML" not in body  # text goes in with textContent only


# ---------------------------------------------------------------- audio


def test_audio_range_requests_return_206_with_the_right_bytes(env: Env, client: Client):
    url = f"/api/calls/{env.call_id}/audio"
    size = len(env.audio)
    status, headers, body = client.request("GET", url, headers={"Range": "bytes=100-1099"})
    assert status == 206
    assert headers["content-range"] == f"bytes 100-1099/{size}"
    assert headers["content-type"] == "audio/wav" and headers["accept-ranges"] == "bytes"
    assert body == env.audio[100:1100]
    status, headers, body = client.request("GET", url, headers={"Range": "bytes=-10"})
    assert (status, headers["content-range"], body) == (
        206, f"bytes {size - 10}-{size - 1}/{size}", env.audio[-10:])
    status, headers, body = client.request("GET", url, headers={"Range": f"bytes={size - 5}-"})
    assert status == 206 and body == env.audio[-5:]
    status, headers, _ = client.request("GET", url, headers={"Range": f"bytes={size}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{size}"
    status, headers, body = client.request("GET", url)
    assert status == 200 and body == env.audio and headers["content-length"] == str(size)
    status, headers, body = client.request("HEAD", url)
    assert (status, headers["content-length"], body) == (200, str(size), b"")
    assert "server" not in headers  # no server software and version announced
    assert client.request("PUT", url)[0] == 405


@pytest.mark.parametrize(
    "header, expected",
    [(None, None), ("bytes=0-0", (0, 0)), ("bytes=5-", (5, 99)), ("bytes=-200", (0, 99)),
     ("bytes=90-500", (90, 99)), ("bytes=0-1,5-9", None), ("items=0-5", None),
     ("bytes=9-3", None)],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert web.parse_range(header, 100) == expected


def test_only_the_audited_recording_of_a_call_in_the_db_is_served(env: Env, client: Client):
    secret = env.wav.parent / "other.wav"
    write_wav(secret, seconds=0.5)
    refused = [
        "/api/calls/" + "cd" * 32 + "/audio",  # not in the database
        f"/api/calls/{env.other_id}/audio",  # in the database, file gone
        "/api/calls/../../etc/passwd/audio",
        "/api/calls/%2e%2e%2fetc%2fpasswd/audio",
        "/audio?path=" + str(secret),
        "/static/../review.py",
        "/static/..%2Freview.py",
        "/static/web.py",
    ]
    for path in refused:
        status, _, body = client.request("GET", path)
        assert status == 404, path
        assert b"root:" not in body and b"RIFF" not in body
    # Someone points the call's row at another file: refused, its sha256 is not the call id.
    with Store(env.db) as store:
        store.db.execute("UPDATE calls SET path = ?, size = NULL WHERE id = ?",
                         [str(secret), env.call_id])
    status, _, body = client.request("GET", f"/api/calls/{env.call_id}/audio")
    assert status == 404 and b"changed" in body


# ---------------------------------------------------------------- verdicts


def test_a_verdict_is_stored_with_reviewer_comment_and_time(env: Env, client: Client):
    abuse, shout, _ = env.flag_ids
    status, data = client.verdict(shout, verdict="false_alarm", reviewer="qa-li",
                                  comment="raised voice, not shouting")
    assert status == 200
    assert data["flag"]["verdict"] == "false_alarm"
    assert data["scores"]["before"] == 42 and data["scores"]["after"] == 57
    row = review_row(env.db, shout)
    assert (row["review_status"], row["reviewer"], row["comment"]) == (
        "false_alarm", "qa-li", "raised voice, not shouting")
    assert row["reviewed_at"].startswith("20")
    status, _ = client.verdict(abuse, verdict="confirmed", reviewer="qa-li")
    assert status == 200 and review_row(env.db, abuse)["review_status"] == "confirmed"
    queue = client.get_json("/api/queue?state=false_alarm")
    assert [f["flag_id"] for f in queue["calls"][0]["flags"]] == [shout]
    assert queue["left"] == {"flags": 2, "calls": 2}
    call = client.get_json(f"/api/calls/{env.call_id}")
    assert call["flags"][1]["review"]["comment"] == "raised voice, not shouting"
    assert call["scores"]["after"] == 57
    # A verdict needs a name, a known verdict and an existing flag.
    assert client.verdict(abuse, verdict="false_alarm")[0] == 400
    assert client.verdict(abuse, verdict="maybe", reviewer="x")[0] == 400
    assert client.verdict(999999, verdict="confirmed", reviewer="x")[0] == 404
    assert review_row(env.db, abuse)["review_status"] == "confirmed"


def test_cross_origin_or_unsigned_state_changes_are_refused(env: Env, client: Client):
    flag = env.flag_ids[0]
    attempts = [
        {"Origin": "http://evil.example"},
        {"Origin": f"http://127.0.0.1:{client.port + 1}"},
        {"Referer": "http://evil.example/page"},
        {},  # neither Origin nor Referer
    ]
    for headers in attempts:
        status, data = client.verdict(flag, headers=headers, verdict="false_alarm", reviewer="x")
        assert status == 403 and "cross-origin" in data["error"], headers
    # A form post (no preflight) from the same origin is refused too: JSON only.
    status, _, _ = client.request("POST", f"/api/flags/{flag}/review", b"verdict=false_alarm",
                                  {"Origin": client.origin, "Content-Type": "text/plain"})
    assert status == 415
    # A DNS-rebinding page reaches the server under its own name: refused without a token.
    status, _, _ = client.request("GET", "/api/queue", headers={"Host": "evil.example"})
    assert status == 403
    assert review_row(env.db, flag)["review_status"] == "unreviewed"
    ok, _ = client.verdict(flag, headers={"Referer": client.origin + f"/calls/{env.call_id}"},
                           verdict="confirmed", reviewer="qa")
    assert ok == 200


# ---------------------------------------------------------------- token


def test_off_loopback_the_server_refuses_to_start_without_a_token(env: Env) -> None:
    with pytest.raises(web.ServeError, match="--token"):
        web.make_server(env.db, host="0.0.0.0", port=0)
    result = CliRunner().invoke(cli, ["serve", "--db", str(env.db), "--host", "0.0.0.0",
                                      "--port", "0"], env={"AUDITOR_TOKEN": ""})
    assert result.exit_code == 1 and "--token" in result.output
    with pytest.raises(web.ServeError, match="does not exist"):
        web.make_server(env.db.parent / "none.db")
    assert web.is_loopback("127.0.0.1") and web.is_loopback("[::1]")
    assert web.is_loopback("localhost") and not web.is_loopback("192.168.1.20")


def test_with_a_token_every_request_needs_it(env: Env) -> None:
    server = start(env.db, host="0.0.0.0", token=TOKEN)
    try:
        c = Client(server)
        assert "?token=" + TOKEN in server.url
        for path in ("/", f"/calls/{env.call_id}", "/api/queue", f"/api/calls/{env.call_id}/audio",
                     "/static/app.css"):
            status, _, _ = c.request("GET", path)
            assert status == 401, path
        assert c.request("GET", "/api/queue", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert c.get_json("/api/queue", headers={"Authorization": f"Bearer {TOKEN}"})["calls"]
        # Opening the printed address trades the token for a cookie and drops it from the URL.
        status, headers, _ = c.request("GET", f"/?token={TOKEN}&state=unreviewed")
        assert status == 303 and headers["location"] == "/?state=unreviewed"
        assert headers["set-cookie"].startswith(f"auditor_token={TOKEN};")
        assert "HttpOnly" in headers["set-cookie"] and "SameSite=Strict" in headers["set-cookie"]
        cookie = {"Cookie": f"auditor_token={TOKEN}"}
        status, _, body = c.request("GET", f"/api/calls/{env.call_id}/audio",
                                    headers={**cookie, "Range": "bytes=0-3"})
        assert status == 206 and body == b"RIFF"
        # The shared token reads; off loopback a verdict needs a reviewer who signed in.
        flag = env.flag_ids[0]
        status, data = c.verdict(flag, headers={**cookie, "Origin": c.origin},
                                 verdict="confirmed", reviewer="x")
        assert status == 403 and "sign in" in data["error"]
        assert c.verdict(flag, headers={"X-Auditor-Token": TOKEN}, verdict="false_alarm",
                         reviewer="api")[0] == 403
        assert review_row(env.db, flag)["review_status"] == "unreviewed"
    finally:
        server.shutdown()
        server.server_close()


def test_serve_prints_its_address(env: Env, monkeypatch) -> None:
    monkeypatch.setattr(web.AuditorServer, "serve_forever", lambda self: None)
    result = CliRunner().invoke(cli, ["serve", "--db", str(env.db), "--port", "0"],
                                env={"AUDITOR_TOKEN": ""})
    assert result.exit_code == 0, result.output
    assert "Review page: http://127.0.0.1:" in result.output


# ---------------------------------------------------------------- the CLI and the library


def test_review_command_records_and_takes_back_a_verdict(env: Env) -> None:
    runner = CliRunner()
    abuse = env.flag_ids[0]
    result = runner.invoke(cli, ["review", str(abuse), "--db", str(env.db), "--verdict",
                                 "false_alarm", "--reviewer", "qa-wang", "--comment", "quoted"])
    assert result.exit_code == 0, result.output
    assert "false_alarm by qa-wang" in result.output and "score 42 -> 82" in result.output
    row = review_row(env.db, abuse)
    assert (row["review_status"], row["reviewer"], row["comment"]) == (
        "false_alarm", "qa-wang", "quoted")
    result = runner.invoke(cli, ["review", str(abuse), "--db", str(env.db), "--verdict",
                                 "confirmed"])
    assert result.exit_code == 1 and "reviewer" in result.output
    result = runner.invoke(cli, ["review", "424242", "--db", str(env.db), "--verdict",
                                 "confirmed", "--reviewer", "x"])
    assert result.exit_code == 1 and "no flag with id 424242" in result.output
    result = runner.invoke(cli, ["review", str(abuse), "--db", str(env.db), "--verdict",
                                 "unreviewed"])
    assert result.exit_code == 0
    assert review_row(env.db, abuse)["review_status"] == "unreviewed"


def test_scores_after_review_and_false_alarm_rate_per_rule(env: Env) -> None:
    abuse, shout, silence = env.flag_ids
    with Store(env.db) as store:
        review.record_verdict(store, abuse, "false_alarm", "qa")
        review.record_verdict(store, shout, "confirmed", "qa")
        view = review.call_view(store, env.call_id)
        # abuse (40) set aside: 100 - 15 (shouting) - 3 (silence); no critical flag left
        assert view["scores"]["after"] == 82 and view["scores"]["passed_after"] is True
        stats = {r["rule"]: r for r in review.review_stats(store)}
    assert stats["abuse.insult"]["false_alarm_rate"] == 1.0
    assert stats["delivery.shouting"]["false_alarm_rate"] == 0.0
    assert stats["delivery.long_silence"]["false_alarm_rate"] is None
    assert stats["delivery.long_silence"]["unreviewed"] == 2
    assert silence in env.flag_ids


def test_the_queue_and_auditor_flagged_list_the_same_calls_and_flags(env: Env) -> None:
    abuse, _, _ = env.flag_ids
    with Store(env.db) as store:
        review.record_verdict(store, abuse, "false_alarm", "qa")
        for state, unreviewed in (("all", False), ("unreviewed", True)):
            queued = review.queue(store, review.QueueFilter(state=state))["calls"]
            listed = store.flagged(unreviewed=unreviewed)
            assert [c["call_id"] for c in queued] == [c["call_id"] for c in listed]
            assert [[f["flag_id"] for f in c["flags"]] for c in queued] == [
                [f["flag_id"] for f in c["flags"]] for c in listed
            ]
        statuses = {f["flag_id"]: f["review_status"] for c in store.flagged() for f in c["flags"]}
        assert statuses[abuse] == "false_alarm"
