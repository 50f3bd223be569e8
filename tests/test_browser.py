"""The review page in a real browser: Debian's Chromium driven by Playwright for Python.

Marked e2e: the database is built with ``auditor run`` and the real Whisper model from three
sample calls (an m4a and an mp3 that raise flags, and the compliant control wav that raises
none), then a reviewer opens the queue, opens the worst call, clicks its flag (the audio must
jump there), plays and pauses with the keyboard, and marks the flag a false alarm (the database
must hold the verdict, the page its history). Then ``auditor sample`` puts the control call in
the queue as a spot check; a reviewer signed in with their token opens it from the queue,
marks a missed violation at the player's position and records the spot check as listened to.
Skipped, with the reason, only when Chromium or Playwright is not installed; CI installs both
(see .ci/run).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli.main import cli
from auditor.review import web
from auditor.store.db import Store

from .conftest import SAMPLES

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FLAGGED = ("abuse_stereo_8k.m4a", "threat_stereo_8k.mp3")
CONTROL = "compliant_stereo_8k.wav"  # raises no flag (tests/test_e2e.py checks it)
CALLS = (*FLAGGED, CONTROL)

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"{CHROMIUM} is missing: apt-get install -y chromium", allow_module_level=True
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is missing: .venv/bin/pip install playwright"
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database audited from sample calls by the real batch (absolute paths)."""
    path = tmp_path_factory.mktemp("browser") / "calls.db"
    calls = [str(SAMPLES / name) for name in CALLS]
    result = CliRunner().invoke(cli, ["run", *calls, "--db", str(path), "--workers", "1"])
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        assert store.count_calls() == len(CALLS)
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[web.AuditorServer]:
    srv = web.make_server(db, port=0, quiet=True)
    web.serve_in_thread(srv)
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    """A fresh Chromium profile and page; fails the test on any script error."""
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 860},
        )
        pg = context.new_page()
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.set_default_timeout(15_000)
        try:
            yield pg
        finally:
            context.close()
    assert errors == []


def wait_js(page: Any, expression: str, arg: Any = None, timeout: float = 15.0) -> Any:
    """Poll a script until it is truthy (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def abuse_flag(db: Path) -> dict[str, Any]:
    with Store(db) as store:
        rows = list(
            store.db.query(
                "SELECT f.id, f.start, f.review_status, f.reviewer, f.comment, f.reviewed_at "
                "FROM flags f JOIN calls c ON c.id = f.call_id "
                "WHERE f.category = 'abuse' AND c.path LIKE '%abuse_stereo_8k.m4a'"
            )
        )
    assert len(rows) == 1, "the abuse sample call should raise exactly one abuse flag"
    return rows[0]


def test_review_a_call_end_to_end(server: web.AuditorServer, db: Path, page: Any) -> None:
    flag = abuse_flag(db)
    base = server.url.rstrip("/")

    # The queue: both calls, worst first, and how many are left to review.
    page.goto(base + "/")
    page.wait_for_selector("#queue tbody tr.row")
    assert page.locator("#queue tbody tr.row").count() == len(FLAGGED)
    assert "left to review in 2 calls" in page.text_content("#left")
    page.select_option("#filters select[name=category]", "abuse")
    wait_js(page, "() => document.querySelectorAll('#queue tbody tr.row').length === 1")
    assert "category=abuse" in page.url
    page.click("#queue tbody tr.row a.open")

    # The call page: the transcript, the timeline and the flag are there.
    page.wait_for_selector("body.ready")
    assert "/calls/" in page.url
    assert page.locator("#transcript li.utt.agent").count() >= 3
    assert page.locator("#transcript li.utt.customer").count() >= 2
    assert page.locator("#timeline svg .flag-mark").count() >= 1
    assert page.text_content("#score-before").startswith("score60")
    wait_js(page, "() => document.getElementById('audio').readyState >= 1")
    duration = page.evaluate("document.getElementById('audio').duration")
    assert 30 < duration < 45  # the m4a decodes in the browser

    # Clicking the flag jumps the audio to the flag's start (and plays from there).
    page.click(f'#flags li.flag[data-flag-id="{flag["id"]}"] .evidence')
    wait_js(page, "t => Math.abs(document.getElementById('audio').currentTime - t) < 1.5",
            flag["start"])
    position = page.evaluate("document.getElementById('audio').currentTime")
    assert flag["start"] - 0.05 <= position <= flag["start"] + 1.5
    page.wait_for_selector("#transcript li.utt.current")
    current = float(page.get_attribute("#transcript li.utt.current", "data-start"))
    assert current <= position

    # Keyboard: space pauses and plays; j goes to the next flag; speed goes to 2x.
    page.evaluate("document.activeElement.blur()")
    wait_js(page, "() => !document.getElementById('audio').paused")
    page.keyboard.press("Space")
    wait_js(page, "() => document.getElementById('audio').paused")
    page.evaluate("document.getElementById('audio').currentTime = 0")
    page.keyboard.press("j")
    wait_js(page, "t => Math.abs(document.getElementById('audio').currentTime - t) < 1.5",
            flag["start"])
    page.keyboard.press("Space")
    wait_js(page, "() => document.getElementById('audio').paused")
    page.select_option("#speed", "2")
    assert page.evaluate("document.getElementById('audio').playbackRate") == 2

    # The verdict: a false alarm, signed and commented, stored with its time.
    page.fill("#reviewer", "qa-li")
    card = page.locator(f'#flags li.flag[data-flag-id="{flag["id"]}"]')
    card.locator("textarea[name=comment]").fill("quoting the customer")
    card.locator("button.false-alarm").click()
    page.wait_for_selector(f'#flags li.flag.v-false_alarm[data-flag-id="{flag["id"]}"]')
    assert "false alarm by qa-li" in page.text_content(
        f'#flags li.flag[data-flag-id="{flag["id"]}"] .status'
    )
    stored = abuse_flag(db)
    assert (stored["review_status"], stored["reviewer"], stored["comment"]) == (
        "false_alarm",
        "qa-li",
        "quoting the customer",
    )
    assert stored["reviewed_at"]
    after = page.text_content("#score-after")
    assert after.startswith("after review") and "pass" in after
    # The change is in the verdict history on the page.
    wait_js(page, "() => [...document.querySelectorAll('#history li.history-entry')]"
            ".some(li => li.textContent.includes('unreviewed → false alarm'))")
    assert "qa-li" in page.text_content("#history")


def test_a_spot_check_and_a_missed_violation_signed_in(
    server: web.AuditorServer, db: Path, page: Any
) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["sample", "--db", str(db), "--rate", "1", "--seed", "1",
                                 "--json"])
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        control = next(store.db.query("SELECT id FROM calls WHERE path LIKE ?",
                                      ["%" + CONTROL]))["id"]
        assert store.spot_check(control) is not None, "the control call should be drawn"
    result = runner.invoke(cli, ["reviewers", "add", "qa-zhao", "--db", str(db)])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    base = server.url.rstrip("/")

    # Signing in: the token in the address becomes a cookie, the page names the reviewer.
    page.goto(base + "/?token=" + token)
    assert "token=" not in page.url
    page.wait_for_selector("#queue tbody tr.spot-check")
    spot_row = page.locator(f'#queue tbody tr.spot-check[data-call-id="{control}"]')
    assert "spot check" in spot_row.locator(".chip.spot").text_content()
    assert "1 spot check to listen to" in page.text_content("#left")
    spot_row.locator("a.open").click()

    page.wait_for_selector("body.ready")
    assert page.is_visible("#spot") and "Not checked yet" in page.text_content("#spot-status")
    assert page.text_content("#reviewer-label") == "Signed in as"
    assert page.input_value("#reviewer") == "qa-zhao"
    assert page.locator("#flags li.flag:not(.info)").count() == 0  # informational ones aside

    # A missed violation at the player's position.
    wait_js(page, "() => document.getElementById('audio').readyState >= 1")
    page.evaluate("document.getElementById('audio').currentTime = 12.3")
    wait_js(page, "() => Math.abs(document.getElementById('audio').currentTime - 12.3) < 0.2")
    page.select_option("#missed-form select[name=category]", "threat")
    page.click("#missed-now")
    assert page.input_value("#missed-form input[name=at]").startswith("00:12")
    page.fill("#missed-form textarea[name=comment]", "<b>后果自负</b> said softly")
    page.click("#missed-form button.mark-missed")
    page.wait_for_selector("#missed li.missed-mark")
    mark = page.locator("#missed li.missed-mark").first
    assert "threat" in mark.text_content() and "by qa-zhao" in mark.text_content()
    assert mark.locator(".evidence").text_content() == "<b>后果自负</b> said softly"  # as text

    # The spot check is recorded as listened to.
    page.click("#spot-done")
    wait_js(page, "() => document.getElementById('spot-status').textContent"
            ".startsWith('Checked by qa-zhao')")
    with Store(db) as store:
        marks = store.missed(control)
        spot = store.spot_check(control)
    assert [(m["category"], m["reviewer"], m["signed_in"]) for m in marks] == [
        ("threat", "qa-zhao", 1)]
    assert 12.0 <= marks[0]["at_s"] <= 12.5
    assert spot is not None and spot["checked_by"] == "qa-zhao" and spot["checked_at"]
