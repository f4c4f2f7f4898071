"""Browser tests: Playwright (sync API) driving Debian's Chromium against the live server.

Never ``playwright install``: the browser is the system's ``/usr/bin/chromium``. Outside
CI the tests skip (with the reason printed) when it is absent; with ``CI=true`` they fail.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000


def _chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = (
        f"browser tests need {CHROMIUM} (apt-get install chromium chromium-driver "
        "fonts-wqy-microhei)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip")
    print(f"\nskipping browser tests: {reason}", file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module.

    Playwright's sync API keeps an asyncio loop marked running on the main thread, which
    Django's async-safety check mistakes for async code; the flag is set only while the
    browser lives (this module), so other test modules keep the check.
    """
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A fresh browser context (no cookies) in a counter tablet's window (1024x768)."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1024, "height": 768},
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def log_in(page: Any, username: str, *, next_path: str = "/") -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
