"""Reviewers who sign in: `auditor reviewers add/list/remove`, tokens stored hashed, the review
server off loopback signing every verdict and mark with the signed-in reviewer, and the verdict
audit log; a real server on a free port and a real SQLite database."""

from __future__ import annotations

import hashlib
import http.client
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.review import reviewers, web
from auditor.review import verdicts as review
from auditor.store.db import Store

ABUSE = {"category": "abuse", "rule": "abuse.insult", "severity": "critical", "speaker": "agent",
         "start": 5.0, "end": 9.0, "evidence": "你就是个老赖", "matched": "老赖"}


def card(flags: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "file": "a.wav", "status": "ok", "error": None, "duration_s": 30.0, "channels": 2,
        "layout": "stereo", "asr": {"model": "fake"},
        "utterances": [{"speaker": "agent", "start": 5.0, "end": 9.0, "text": "你就是个老赖"}],
        "metrics": {}, "steps": {}, "flags": flags, "score": 60, "passed": False,
    }


CALL = hashlib.sha256(b"call").hexdigest()
QUIET = hashlib.sha256(b"quiet").hexdigest()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "calls.db"
    with Store(path) as store:
        store.save_call(card([ABUSE]), call_id=CALL, path="/rec/a.wav", size=1, model="m",
                        rules_version="r")
        quiet = card([])
        quiet["score"], quiet["passed"] = 100, True
        store.save_call(quiet, call_id=QUIET, path="/rec/q.wav", size=1, model="m",
                        rules_version="r")
        store.add_spot_checks([{"call_id": QUIET, "stratum": "x|y", "rate": 0.5}])
    return path


def flag_id(db: Path) -> int:
    with Store(db) as store:
        return int(store.db.execute("SELECT id FROM flags WHERE call_id = ?", [CALL]).fetchone()[0])


def add(db: Path, name: str) -> str:
    result = CliRunner().invoke(cli, ["reviewers", "add", name, "--db", str(db)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.split(".", 1)[0].isdigit() and len(token) > 40
    return token


def test_reviewers_add_list_remove_and_the_token_is_stored_hashed(db: Path) -> None:
    token = add(db, "qa-li")
    add(db, "qa-wang")
    runner = CliRunner()
    result = runner.invoke(cli, ["reviewers", "list", "--db", str(db)])
    assert result.exit_code == 0 and "qa-li" in result.output and "qa-wang" in result.output
    assert token not in result.output
    listed = json.loads(runner.invoke(cli, ["reviewers", "list", "--db", str(db), "--json"]).output)
    assert [r["name"] for r in listed] == ["qa-li", "qa-wang"] and "token_hash" not in listed[0]
    # Neither the token nor its secret is anywhere in the database file.
    secret = token.split(".", 1)[1]
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert secret not in dump and token not in dump
    with Store(db) as store:
        assert reviewers.authenticate(store, token) == "qa-li"
        wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert reviewers.authenticate(store, wrong) is None
        assert reviewers.authenticate(store, "999." + secret) is None
        assert reviewers.authenticate(store, "junk") is None
    result = runner.invoke(cli, ["reviewers", "add", "qa-li", "--db", str(db)])
    assert result.exit_code == 1 and "already a reviewer named" in result.output
    assert runner.invoke(cli, ["reviewers", "add", "  ", "--db", str(db)]).exit_code == 1
    result = runner.invoke(cli, ["reviewers", "remove", "qa-li", "--db", str(db)])
    assert result.exit_code == 0 and "removed" in result.output
    with Store(db) as store:
        assert reviewers.authenticate(store, token) is None
    result = runner.invoke(cli, ["reviewers", "remove", "qa-li", "--db", str(db)])
    assert result.exit_code == 1 and "no reviewer named" in result.output


class Client:
    def __init__(self, server: web.AuditorServer) -> None:
        self.port = server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload

    def post(self, path: str, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
        status, _, payload = self.request("POST", path, body, {"Origin": self.origin, **headers})
        return status, json.loads(payload or b"null")


@pytest.fixture
def serving():
    servers: list[web.AuditorServer] = []

    def start(db: Path, host: str = "127.0.0.1", token: str | None = None) -> Client:
        server = web.make_server(db, host=host, port=0, token=token, quiet=True)
        web.serve_in_thread(server)
        servers.append(server)
        return Client(server)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_off_loopback_every_verdict_carries_the_signed_in_reviewer(db: Path, serving) -> None:
    with pytest.raises(web.ServeError, match="reviewers add"):
        web.make_server(db, host="0.0.0.0", port=0)  # nobody could sign in
    token = add(db, "qa-li")
    c = serving(db, host="0.0.0.0")  # reviewers only, no shared token
    status, _, body = c.request("GET", "/")
    assert status == 401 and b'name=token type=password' in body  # the sign-in form
    assert c.request("GET", "/api/queue")[0] == 401
    assert c.request("GET", "/api/queue", headers={"Authorization": "Bearer 1.wrong"})[0] == 401
    # Opening the page with ?token= trades it for a cookie.
    status, headers, _ = c.request("GET", f"/calls/{CALL}?token={token}")
    assert status == 303 and headers["location"] == f"/calls/{CALL}"
    cookie = {"Cookie": f"auditor_token={token}"}
    status, _, body = c.request("GET", "/api/me", headers=cookie)
    assert json.loads(body) == {"reviewer": "qa-li", "sign_in_required": True}
    fid = flag_id(db)
    # The typed name is ignored: the verdict is signed by the token's reviewer.
    status, data = c.post(f"/api/flags/{fid}/review",
                          {"verdict": "false_alarm", "reviewer": "someone-else",
                           "comment": "quoting"}, **cookie)
    assert status == 200 and data["flag"]["reviewer"] == "qa-li"
    # Same-origin is still required with a cookie.
    status, _, _ = c.request("POST", f"/api/flags/{fid}/review", {"verdict": "confirmed"},
                             {**cookie, "Origin": "http://evil.example"})
    assert status == 403
    # Missed violation and spot check, signed too.
    status, data = c.post(f"/api/calls/{QUIET}/missed",
                          {"category": "threat", "at": "0:12", "comment": "<b>x</b>",
                           "reviewer": "nobody"}, **cookie)
    assert status == 200 and data["missed"][0]["reviewer"] == "qa-li"
    assert data["missed"][0]["signed_in"] == 1 and data["missed"][0]["at_s"] == 12.0
    status, data = c.post(f"/api/calls/{QUIET}/spot-check", {"reviewer": "nobody"}, **cookie)
    assert status == 200 and data["spot_check"]["checked_by"] == "qa-li"
    assert c.post(f"/api/calls/{QUIET}/missed", {"category": "rudeness"}, **cookie)[0] == 400
    assert c.post(f"/api/calls/{CALL}/spot-check", {}, **cookie)[0] == 404
    # Without a reviewer's token nothing changes, even with a typed name.
    status, data = c.post(f"/api/calls/{QUIET}/missed",
                          {"category": "abuse", "reviewer": "qa-li"})
    assert status == 401
    with Store(db) as store:
        assert len(store.missed(QUIET)) == 1
        log = store.verdict_log(CALL)
    assert [(e["old"], e["new"], e["reviewer"], e["signed_in"], e["comment"]) for e in log] == [
        ("unreviewed", "false_alarm", "qa-li", 1, "quoting")]
    # The call page's data shows the history.
    status, _, body = c.request("GET", f"/api/calls/{CALL}", headers=cookie)
    view = json.loads(body)
    assert [h["new"] for h in view["history"]] == ["false_alarm"]


def test_a_removed_reviewer_is_signed_out_at_once(db: Path, serving) -> None:
    token = add(db, "qa-li")
    c = serving(db, host="0.0.0.0")
    headers = {"Authorization": f"Bearer {token}"}
    assert c.request("GET", "/api/queue", headers=headers)[0] == 200
    assert CliRunner().invoke(cli, ["reviewers", "remove", "qa-li", "--db", str(db)]).exit_code == 0
    assert c.request("GET", "/api/queue", headers=headers)[0] == 401


def test_on_loopback_a_typed_name_still_works_and_a_token_signs_in(db: Path, serving) -> None:
    c = serving(db)
    fid = flag_id(db)
    status, _, body = c.request("GET", "/api/me")
    assert json.loads(body) == {"reviewer": None, "sign_in_required": False}
    status, data = c.post(f"/api/flags/{fid}/review", {"verdict": "confirmed", "reviewer": "li"})
    assert status == 200 and data["flag"]["reviewer"] == "li"
    token = add(db, "qa-wang")
    status, data = c.post(f"/api/flags/{fid}/review", {"verdict": "false_alarm",
                                                      "reviewer": "typed"},
                          Cookie=f"auditor_token={token}")
    assert status == 200 and data["flag"]["reviewer"] == "qa-wang"
    with Store(db) as store:
        log = store.verdict_log(CALL)
    assert [(e["old"], e["new"], e["reviewer"], e["signed_in"]) for e in log] == [
        ("unreviewed", "confirmed", "li", 0), ("confirmed", "false_alarm", "qa-wang", 1)]


def test_the_verdict_log_keeps_every_change_and_survives_the_call_saved_again(db: Path) -> None:
    fid = flag_id(db)
    with Store(db) as store:
        review.record_verdict(store, fid, "confirmed", "li", "heard it")
        review.record_verdict(store, fid, "false_alarm", "wang", "customer's words")
        review.record_verdict(store, fid, "unreviewed", "zhao", "second opinion pending")
        # The batch writes the call again (its flag rows are rewritten).
        store.save_call(card([ABUSE]), call_id=CALL, path="/rec/a.wav", size=1, model="m",
                        rules_version="r2")
        log = store.verdict_log(CALL)
        assert store.integrity_check() == "ok"
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [(e["old"], e["new"], e["reviewer"], e["comment"]) for e in log] == [
        ("unreviewed", "confirmed", "li", "heard it"),
        ("confirmed", "false_alarm", "wang", "customer's words"),
        ("false_alarm", "unreviewed", "zhao", "second opinion pending"),
    ]
    assert all(e["at"] and e["rule"] == "abuse.insult" and e["start"] == 5.0 for e in log)
    # `auditor review` writes the log too.
    result = CliRunner().invoke(cli, ["review", str(flag_id(db)), "--db", str(db), "--verdict",
                                      "confirmed", "--reviewer", "qa-cli"])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert store.verdict_log(CALL)[-1]["reviewer"] == "qa-cli"


def test_reviewers_posting_at_once_lose_nothing(db: Path, serving) -> None:
    """Several signed-in reviewers mark misses at the same time (the server's thread pool)."""
    import threading

    tokens = [add(db, f"qa-{i}") for i in range(4)]
    c = serving(db, host="0.0.0.0")
    statuses: list[int] = []

    def post_marks(token: str) -> None:
        for k in range(10):
            status, _ = c.post(f"/api/calls/{QUIET}/missed",
                               {"category": "impatience", "at": str(k)},
                               Authorization=f"Bearer {token}")
            statuses.append(status)

    threads = [threading.Thread(target=post_marks, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses.count(200) == 40
    with Store(db) as store:
        marks = store.missed(QUIET)
    assert len(marks) == 40
    assert sorted({m["reviewer"] for m in marks}) == [f"qa-{i}" for i in range(4)]
    assert all(m["signed_in"] == 1 for m in marks)
