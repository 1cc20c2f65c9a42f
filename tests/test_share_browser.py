"""The share page in a real browser (issue 11): Debian's headless ``chromium`` driven by Selenium
through Debian's ``chromedriver``, against a real aiohttp server on 127.0.0.1 serving the share
route over a real SQLite store.

Selenium Manager is kept from downloading anything: the driver path is given explicitly and
``SE_OFFLINE=true``. Every wait is bounded (page-load timeout, explicit waits), and the browser
and server are stopped whatever happens. Selenium's calls block, so they run in a thread while
the event loop keeps serving the page.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.planning.bank import QuestionBank
from bot.settings import Settings
from bot.share import create_share
from bot.store.sqlite import SQLiteStore
from tests.sharing import HOSTILE, save, shared_record

pytest.importorskip("selenium")
pytest.importorskip("aiohttp")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(
        "needs Debian chromium and chromium-driver (scripts/system-packages.txt)",
        allow_module_level=True,
    )

WAIT_S = 20.0


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (starting one takes seconds)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkey = pytest.MonkeyPatch()
    monkey.setenv("SE_OFFLINE", "true")  # Selenium Manager must never reach the network
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # Root in a container: no sandbox; /dev/shm is small there.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--window-size=1024,1400",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT_S)
    driver.set_script_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()
        monkey.undo()


@pytest.fixture
async def served(
    tmp_path: Path, bank: QuestionBank
) -> AsyncIterator[tuple[str, SQLiteStore, Settings]]:
    """(base URL, store, settings): the share route on an ephemeral loopback port, with Ann's
    session and Bob's (whose text must never show up) in the store."""
    from aiohttp import web

    from adapters.web.share_routes import share_routes

    store = SQLiteStore(tmp_path / "browser.sqlite3")
    await store.open()
    await save(store, shared_record(bank, "annsession01", "cli:ann"))
    await save(store, shared_record(bank, "bobsession01", "cli:bob", secret="BOBSECRET"))
    settings = Settings(data_dir=tmp_path / "data", share_secret="b" * 32)
    app = web.Application()
    share_routes(store, settings)(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", store, settings
    finally:
        await runner.cleanup()
        await store.close()


def load(driver: Any, url: str) -> dict[str, Any]:
    """Open ``url`` and read what a person would see (runs in a worker thread)."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, WAIT_S).until(
        expected_conditions.presence_of_element_located((By.TAG_NAME, "h1"))
    )
    seen: dict[str, Any] = {
        "title": driver.title,
        "h1": driver.find_element(By.TAG_NAME, "h1").text,
        "text": driver.find_element(By.TAG_NAME, "body").text,
        "refused": bool(driver.find_elements(By.CSS_SELECTOR, "h1.refused")),
        "scripts": len(driver.find_elements(By.TAG_NAME, "script")),
    }
    charts = driver.find_elements(By.CSS_SELECTOR, "img.chart")
    if charts:
        chart = charts[0]
        # complete + naturalWidth > 0: the browser decoded the inline PNG (a broken image has 0).
        WebDriverWait(driver, WAIT_S).until(lambda _: chart.get_property("complete"))
        seen["chart_width"] = chart.get_property("naturalWidth")
        seen["chart_visible"] = chart.is_displayed()
    recap = driver.find_elements(By.ID, "recap")
    seen["recap_visible"] = bool(recap) and recap[0].is_displayed()
    try:
        driver.switch_to.alert  # noqa: B018 - raises when no alert: the hostile answer did nothing
        seen["alert"] = True
    except NoAlertPresentException:
        seen["alert"] = False
    return seen


async def test_shared_page_renders_recap_and_chart_in_chromium(
    browser: Any, served: tuple[str, SQLiteStore, Settings]
) -> None:
    base, store, settings = served
    made = await create_share(store, settings, "annsession01", "cli:ann", now=time.time())
    seen = await asyncio.wait_for(asyncio.to_thread(load, browser, base + f"/s/{made.token}"), 60)
    assert seen["title"] == "Mock interview: Backend Engineer" and not seen["refused"]
    assert seen["recap_visible"]
    for visible in (
        "Overall: 3.8/5",
        "Owns cross-team work end to end",
        "Review index types: B-tree, GIN, BRIN.",
        "Deploys went from weekly to daily and incidents halved.",
        HOSTILE,  # shown as text
    ):
        assert visible in seen["text"], visible
    assert seen["chart_width"] > 0 and seen["chart_visible"]
    assert seen["scripts"] == 0 and seen["alert"] is False
    assert "BOBSECRET" not in seen["text"] and "cli:ann" not in seen["text"]


async def test_expired_and_tampered_links_show_the_refusal_in_chromium(
    browser: Any, served: tuple[str, SQLiteStore, Settings]
) -> None:
    base, store, settings = served
    long_ago = time.time() - (settings.share_ttl_hours + 1) * 3600
    expired = await create_share(store, settings, "annsession01", "cli:ann", now=long_ago)
    fresh = await create_share(store, settings, "annsession01", "cli:ann", now=time.time())
    last = fresh.token[-1]
    tampered = fresh.token[:-1] + ("A" if last != "A" else "B")
    cases = [(expired.token, "This link has expired"), (tampered, "This link is not valid")]
    for token, heading in cases:
        seen = await asyncio.wait_for(asyncio.to_thread(load, browser, base + f"/s/{token}"), 60)
        assert seen["refused"] and seen["h1"] == heading
        assert not seen["recap_visible"] and "chart_width" not in seen
        assert "Owns cross-team work" not in seen["text"] and "Backend Engineer" not in seen["text"]
