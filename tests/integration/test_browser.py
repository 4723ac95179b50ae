"""The map in a real browser (Debian's Chromium driven by Playwright).

With GENIUS_LOCI_SCREENSHOTS=docs/img the README's picture of the map is saved there, painted as
the demo paints it (`painter`)."""
import pytest

from generation.selectors import model_version_active
from tests.integration.conftest import open_map, screenshot
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_search_a_city_click_it_and_see_its_picture(page, live_server, cities, painter, worker_factory):
    open_map(page, live_server)
    page.fill("#city-search", "oxf")
    page.wait_for_selector("#search-suggestions li")
    assert page.inner_text("#search-suggestions li").startswith("Oxford, GB")
    page.keyboard.press("Enter")

    page.wait_for_selector("#job-progress", state="visible")
    page.wait_for_selector("#queue .queue-item", state="visible")  # waiting: no worker yet
    page.evaluate("""() => { window.finishedJobs = [];
        document.addEventListener("genius-loci:job-finished", (e) => window.finishedJobs.push(e.detail.status)); }""")
    worker_factory()
    page.wait_for_selector("#job-result:not([hidden])", timeout=60_000)
    # The page announces the finished job, and the queue panel (which refreshes on it) drops it.
    assert page.evaluate("() => window.finishedJobs") == ["done"]
    page.wait_for_selector("#queue", state="hidden")
    image = page.locator("#job-image")
    # The result appears as soon as the job ends; the picture may still be on its way.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    upsampler = model_version_active(kind="upsample")  # the shown picture is its enlargement
    scale = upsampler.config["architecture"]["scale"] if upsampler else 1
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == painter.config["resolution"] * scale
    assert "Oxford" in page.inner_text("#job-caption")
    screenshot(page, "map.png")

    permalink = page.get_attribute("#job-permalink", "href")
    page.goto(permalink)
    assert page.inner_text("h1") == "Oxford, GB"
    assert painter.sha256 in page.inner_text(".provenance")


def test_a_city_marker_click_asks_for_that_city(page, live_server, cities, place_model, enqueued):
    open_map(page, live_server)
    page.locator("path.city-marker").last.click()  # drawn last: the most populous, on top
    page.wait_for_selector("#job:not([hidden])")
    page.wait_for_function("() => document.querySelector('#job-status').textContent.length > 0")
    from generation.models import Job

    # The page shows the job as soon as the server answers; this connection may see the row a moment later.
    job = wait_until(Job.objects.first, timeout=10, interval=0.05, message="no job was written")
    assert job.inputs["city"] == 2643743  # London, the most populous city shown


def test_without_a_model_the_page_says_so_plainly(page, live_server, cities):
    open_map(page, live_server)
    assert "No trained place model is active yet" in page.inner_text("#no-model")
    page.locator("path.city-marker").last.click()
    page.wait_for_selector("#job-error:not([hidden])")
    assert "No trained place model is active yet" in page.inner_text("#job-error")


def test_clicking_the_sea_explains_itself(page, live_server, cities, place_model):
    open_map(page, live_server)
    page.mouse.click(300, 650)  # the South Atlantic at the opening view
    page.wait_for_selector("#job-error:not([hidden])")
    assert "open water" in page.inner_text("#job-error")
