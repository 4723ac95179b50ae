"""What the browser tests share: Debian's Chromium driven by Playwright, the map opened and
ready, screenshots for the docs, and a small gallery of artworks."""
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started

from generation import services
from tests.gallery.conftest import gallery_build

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
REPO = Path(__file__).resolve().parents[2]
# With GENIUS_LOCI_SCREENSHOTS=docs/img the artworks are painted by the trained model shipped in
# models/place-demo and enlarged by models/upsample-demo, as the demo serves them, and the browser
# tests save the README's pictures there.
SCREENSHOTS = os.environ.get("GENIUS_LOCI_SCREENSHOTS", "")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API runs an event loop in this thread while the browser is open;
        # the ORM calls that tests and fixtures make here are still plain synchronous calls.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


PHONE = {"width": 390, "height": 844}


class ServedRequests:
    """The requests the live server is still answering, counted by Django's request_started and
    request_finished signals. A closed page's last request may still be running in the server's
    thread; the database is flushed after the test only once none is, or the flush and that
    request can deadlock on PostgreSQL."""

    def __init__(self):
        self.running = 0
        self.changed = threading.Condition()

    def started(self, **kwargs):
        with self.changed:
            self.running += 1

    def finished(self, **kwargs):
        with self.changed:
            self.running -= 1
            self.changed.notify_all()

    def wait_until_none(self, timeout: float = 30) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.running == 0, timeout), "the live server is still answering a request"


@pytest.fixture
def served():
    served = ServedRequests()
    request_started.connect(served.started)
    request_finished.connect(served.finished)
    yield served
    request_started.disconnect(served.started)
    request_finished.disconnect(served.finished)


@contextmanager
def watched_page(browser, served, **options):
    """A new page of `browser` (Playwright's new_page options) that fails the test on a JavaScript
    error or on anything the Content-Security-Policy refused (Chromium reports it on the console).
    Once closed, it waits until the live server has answered every request the page made."""
    page = browser.new_page(**options)
    errors, refused = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    try:
        yield page
    finally:
        page.close()
        served.wait_until_none()
    assert errors == [], f"JavaScript errors: {errors}"
    assert refused == [], f"refused by the Content-Security-Policy: {refused}"


# The pages ask for transactional_db so that they close before the database is flushed after the test.
@pytest.fixture
def page(browser, transactional_db, served):
    with watched_page(browser, served, viewport={"width": 1280, "height": 800}) as page:
        yield page


@pytest.fixture
def phone(browser, transactional_db, served):
    """A page the size of a phone's screen (390 x 844), touched rather than clicked."""
    with watched_page(browser, served, viewport=PHONE, is_mobile=True, has_touch=True) as page:
        yield page


def open_map(page, live_server):
    page.goto(live_server.url + "/")
    page.wait_for_selector("#atlas[data-land-ready=true]")
    page.wait_for_selector("#atlas[data-cities]")


def screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(REPO / SCREENSHOTS / name), full_page=True)


@pytest.fixture
def painter(place_model):
    """The active place model: the tiny one, or for screenshots the shipped trained one, with the
    shipped upsampler active as in the demo."""
    if not SCREENSHOTS:
        return place_model
    services.model_version_register(folder=REPO / "models" / "upsample-demo", name="upsample-demo", activate=True)
    return services.model_version_register(folder=REPO / "models" / "place-demo", name="place-demo", activate=True)


@pytest.fixture
def gallery(live_server, painter, cities, enqueued):
    return gallery_build(cities)
