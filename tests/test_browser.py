"""One real browser: the app served headless on loopback, driven by Debian's Chromium.

Playwright's own browser download cannot work offline, so its Python package drives the system
Chromium (`apt-get install chromium`; .ci/run installs it). Screenshots land in the test's
output folder (pytest's tmp_path, printed at the end).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import free_port, running

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, _vector_cache: Path) -> Iterator[str]:
    port = free_port()
    data = tmp_path_factory.mktemp("browser-data")
    env = {
        **os.environ,
        "COACH_DATA_DIR": str(data),
        "COACH_CACHE_DIR": str(_vector_cache),
        "COACH_TIER": "scripted",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    log = data / "streamlit.log"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    # As `make run` does: build the index and fit the safety classifiers before the app starts,
    # so the first page does not wait for them.
    subprocess.run(
        [sys.executable, "-m", "coach.cli", "ingest"], env=env, check=True, timeout=600, cwd=ROOT
    )
    with running(cmd, f"{url}/_stcore/health", log, name="streamlit", cwd=ROOT, env=env):
        yield url


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (see .ci/run)")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


# A blame-to-ownership session (README "Listening"): each reply takes up what the seller just
# said, and the wrap-up carries the commitment whole.
SESSION = [
    (
        "lost the Carver deal. their CFO killed it at the last minute, said the ROI case "
        "wasn't there. marketing's ROI calculator is garbage btw",
        "Thinking about the Carver deal",
    ),
    (
        "i mean i never actually sat down with their CFO. i sent the deck to the champion "
        "and hoped",
        "when that happened with their CFO",
    ),
    (
        "yeah i think i avoid the money people. i stay with whoever likes me",
        "Where else does that show up",
    ),
    (
        "next deal i'm going to ask for 30 min with finance before the proposal goes out",
        "When exactly will you do that with finance",
    ),
]


def test_a_reflection_in_a_real_browser(app_url: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("heading", name="Reflect", exact=True).wait_for(timeout=120_000)
    box = page.get_by_placeholder("What happened this week?")
    for text, reply_names in SESSION:
        box.fill(text)
        box.press("Enter")
        page.get_by_text(reply_names, exact=False).last.wait_for(timeout=60_000)
    citation = page.get_by_text("Take ownership, not blame", exact=False).first
    citation.wait_for(timeout=10_000)
    page.get_by_text("Why I'm asking this").first.click()
    page.get_by_text(
        "Leaders take ownership, which is the opposite of assigning blame"
    ).first.wait_for()
    page.get_by_role("button", name="Wrap up").click()
    page.get_by_text("The question to carry with you", exact=False).wait_for(timeout=60_000)
    wrap = page.get_by_text("Your commitment for the coming week", exact=False).last
    assert "ask for 30 min with finance before the proposal goes out" in wrap.inner_text()
    shot = tmp_path / "reflect.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert shot.stat().st_size > 10_000
    assert citation.is_visible()


def test_a_check_in_with_resources_on_a_phone(app_url: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Passive ideation gets the plain question and the resources, visible on a phone-sized
    window, where the sidebar (and its help line) is collapsed."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("heading", name="Reflect", exact=True).wait_for(timeout=120_000)
    box = page.get_by_placeholder("What happened this week?")
    box.fill(
        "Honestly I don't see the point of anything anymore. Sometimes I think everyone would "
        "be better off if I wasn't around."
    )
    box.press("Enter")
    question = page.get_by_text("are you having thoughts of suicide", exact=False)
    question.wait_for(timeout=60_000)
    line = page.get_by_text("call or text 988 (Suicide & Crisis Lifeline)", exact=False).first
    line.scroll_into_view_if_needed()
    shot = tmp_path / "check-in-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert question.is_visible() and line.is_visible()
    assert page.get_by_text("Principle:", exact=False).count() == 0  # no coaching
    # A yes is heard: thanks and a question about safety now, not the same question again.
    box.fill("yes")
    box.press("Enter")
    told = page.get_by_text("Are you safe right now?", exact=False)
    told.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "check-in-yes-phone.png"), full_page=True)
    assert page.get_by_text("I'd rather ask than guess", exact=False).count() == 0
    assert page.get_by_text("Principle:", exact=False).count() == 0


def test_challenge_and_review_pages_in_a_real_browser(
    app_url: str, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 1900})
    page.goto(f"{app_url}/challenge", wait_until="networkidle")
    page.get_by_role("heading", name="Challenge", exact=True).wait_for(timeout=120_000)
    page.get_by_label("Your team's situation, in your words").fill(
        "We missed Q3 by 20%. Lots of finger-pointing at marketing and morale is low."
    )
    page.get_by_role("button", name="Draft it").click()
    page.get_by_text("Tell me how you've practiced leadership this quarter?").first.wait_for(
        timeout=60_000
    )
    page.get_by_text("Grounded in", exact=True).first.wait_for()
    challenge = tmp_path / "challenge.png"
    page.screenshot(path=str(challenge))

    page.goto(f"{app_url}/review", wait_until="networkidle")
    page.get_by_role("heading", name="Review", exact=True).wait_for(timeout=60_000)
    page.get_by_text("Principle fidelity").first.wait_for(timeout=60_000)  # the saved reflection
    review = tmp_path / "review.png"
    page.screenshot(path=str(review))
    print(f"\nscreenshots: {challenge}, {review}")
    assert challenge.stat().st_size > 10_000 and review.stat().st_size > 10_000


def test_a_pasted_page_a_reload_and_nothing_leaves_loopback(  # type: ignore[no-untyped-def]
    app_url: str, browser, tmp_path: Path
) -> None:
    """A 20,000-character paste gets a reply and the session goes on; a reload picks the open
    reflection up again; and every request every page makes stays on 127.0.0.1."""
    from urllib.parse import urlparse

    hosts: set[str] = set()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    page.goto(app_url, wait_until="networkidle")
    page.get_by_role("heading", name="Reflect", exact=True).wait_for(timeout=120_000)
    lines = [
        "Called Acme about the renewal and they asked for another discount",
        "My manager wanted the forecast by noon and I guessed at two deals",
        "Priya stayed late to help me rebuild the demo",
    ]
    notes, n = [], 0
    while sum(len(s) + 1 for s in notes) < 20_000:
        notes.append(f"{lines[n % 3]} (day {n}).")
        n += 1
    paste = " ".join(notes)[:20_000]
    box = page.get_by_placeholder("What happened this week?")
    box.fill(paste)
    box.press("Enter")
    replies = page.locator('[data-testid="stChatMessage"]')
    replies.nth(1).wait_for(timeout=60_000)
    # The answer is drawn, then saved and the page reruns: a message typed during that rerun
    # is dropped by Streamlit's chat input, so wait until the script is idle again.
    page.wait_for_timeout(3_000)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=60_000)
    assert "could not answer" not in page.content()
    box = page.get_by_placeholder("What happened this week?")
    box.fill("The discount is what I keep coming back to.")
    box.press("Enter")
    try:
        replies.nth(3).wait_for(timeout=60_000)
    finally:
        page.screenshot(path=str(tmp_path / "second-turn.png"), full_page=True)
    assert "reflection=" in page.url  # the open reflection rides in the address

    page.reload(wait_until="networkidle")
    page.get_by_text("The discount is what I keep coming back to.").wait_for(timeout=60_000)
    # Four turns, the last an answer: saved before the reload, or (when the reload cut the
    # answer short) given now for the message that was saved.
    last = page.locator('[data-testid="stChatMessage"]').nth(3)
    last.get_by_text("?", exact=False).first.wait_for(timeout=60_000)
    page.wait_for_timeout(3_000)
    assert page.locator('[data-testid="stChatMessage"]').count() == 4
    for name in ("Challenge", "Review"):
        page.get_by_role("link", name=name).first.click()
        page.get_by_role("heading", name=name, exact=True).wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle")
    shot = tmp_path / "resumed.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert hosts <= {"127.0.0.1"}, f"requests left loopback: {sorted(hosts)}"
