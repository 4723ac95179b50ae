"""Edits in a real browser with a real worker: the artwork page's text box paints edited
versions (children of the artwork), and the frames between two texts appear as a strip with a
slider and an animation, also on the strip's own page."""
import pytest

from tests.conftest import EDIT_SUGGESTED
from tests.integration.test_browser_gallery import _paint_with_the_worker

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_edit_by_text_then_the_frames_between_two_texts(page, live_server, cities, place_model,
                                                        measured_edit_model, worker_factory):
    worker_factory()
    artwork = _paint_with_the_worker(cities["Tromsø"], seed=21)
    page.goto(live_server.url + artwork.get_absolute_url())

    # The box suggests the wordings the active model was measured to edit best.
    suggestions = page.locator("#edit-suggestions option").evaluate_all("options => options.map(o => o.value)")
    assert suggestions == EDIT_SUGGESTED and page.get_attribute("#edit-text", "list") == "edit-suggestions"
    page.fill("#edit-text", "the same place at night")
    page.select_option("#edit-count", "2")
    page.click("#edit-submit")
    page.wait_for_function("() => document.querySelectorAll('#action-results .artwork-card').length === 2", timeout=120_000)
    page.wait_for_function("() => !document.querySelector('#edit-submit').disabled", timeout=60_000)
    assert page.inner_text("#action-status") == "2 of 2 edits painted; each is a new artwork made from this one."
    edits = list(artwork.children.order_by("pk"))
    assert [child.inputs["text"] for child in edits] == ["the same place at night"] * 2 and len(edits) == 2

    page.fill("#interpolate-from", "by day, on a bright afternoon")
    page.fill("#interpolate-to", "at night, after dark")
    page.fill("#interpolate-frames", "4")
    page.click("#interpolate-submit")
    page.wait_for_selector("#action-strip:not([hidden])", timeout=120_000)
    slider = page.locator("#action-strip .strip-slider")
    assert slider.get_attribute("max") == "3"
    slider.fill("3")
    drawn = "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0)"
    assert page.locator("#action-strip canvas").evaluate(drawn)

    strip = artwork.children.get(inputs__frames=4)
    page.goto(live_server.url + strip.get_absolute_url())
    page.wait_for_selector("#strip-viewer")
    page.wait_for_function("() => document.querySelector('#strip-viewer canvas').getContext('2d')"
                           ".getImageData(0, 0, 256, 256).data.some(v => v !== 0)")
    page.click("#strip-viewer .strip-play")
    assert page.inner_text("#strip-viewer .strip-play") == "Pause"
    page.wait_for_function("() => document.querySelector('#strip-viewer .strip-slider').value !== '0'")
    assert "by day, on a bright afternoon" in page.inner_text(".lineage")
