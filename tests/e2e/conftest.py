"""Browser tests: Playwright drives Debian's Chromium against ``live_server``; axe-core checks each page.

No browser is downloaded: the launch points at /usr/bin/chromium. Playwright's sync API runs an event loop in
the test thread, so Django's async-safety guard is relaxed here only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Keep Chromium off the network: this machine has none, and its background services would only fail.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {
        **browser_context_args,
        "bypass_csp": True,  # lets the test inject axe-core; the pages themselves still send their CSP
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1366, "height": 860},
    }


class AxeViolations(AssertionError):
    pass


def run_axe(page: Page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in {"serious", "critical"}]


@pytest.fixture
def axe(page: Page) -> Callable[[], None]:
    """Call after each page load: fails the test on serious or critical accessibility violations."""

    def check() -> None:
        page.wait_for_load_state("networkidle")
        violations = run_axe(page)
        if violations:
            summary = [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "nodes": [n["target"] for n in v["nodes"][:5]],
                }
                for v in violations
            ]
            raise AxeViolations(f"axe on {page.url}:\n{json.dumps(summary, indent=1, ensure_ascii=False)}")

    return check


@pytest.fixture
def visit(page: Page, live_server: object, axe: Callable[[], None]) -> Callable[[str], Page]:
    """Open a path on the live server and check it with axe."""

    def go(path: str) -> Page:
        page.goto(f"{live_server.url}{path}")
        axe()
        return page

    return go


@pytest.fixture
def login(page: Page, live_server: object, make_user: Callable[..., User]) -> Callable[[str], User]:
    """Log in through the real form as a new user of the given role."""

    def as_role(role: str) -> User:
        user = make_user(role, username=f"{role}-e2e", password=PASSWORD)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].btn-primary")
        page.wait_for_load_state("networkidle")
        return user

    return as_role


def restore_history(page: Page, move: Callable[[], object]) -> None:
    """Back or forward, then wait until htmx has swapped the restored page in.

    htmx keeps no history cache here, so it asks the server for the full page again; the response arrives before
    htmx swaps it in, so waiting for the response alone can read the page it is about to replace. htmx fires
    `htmx:historyRestore` once the swap is done.
    """
    page.evaluate(
        "() => { window.__restored = false;"
        " document.body.addEventListener('htmx:historyRestore', () => { window.__restored = true; }, {once: true}); }"
    )
    move()
    page.wait_for_function("() => window.__restored === true")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], Path]:
    """Save a full-page screenshot under test-artifacts/screenshots (git-ignored) for people to look at."""

    def shoot(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture(autouse=True)
def _keep_failure_screenshot(request: pytest.FixtureRequest, page: Page) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
