"""The composer in a real browser with a real worker: the background of a city first (Paint
waits for it), three objects dragged, pressed and moved onto it, painted one at a time into a
strip whose x0 is that very background; then on the artwork's page one object moved and painted
again, and every step before it comes back byte for byte. Boxes resized past the canvas's edge
stay boxes the API accepts."""
import json
import urllib.request

import pytest

from gallery.jobs.compose_inputs import BOX_AREA_MAX, BoxField
from gallery.models import Artwork

pytestmark = [pytest.mark.integration, pytest.mark.browser]

STRIP = "#compose-result .step-strip img"


def strip_sources(page) -> list[str]:
    return page.locator(STRIP).evaluate_all("images => images.map(i => i.src)")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def test_compose_three_objects_then_move_one_and_the_earlier_steps_come_back_identical(
        page, live_server, cities, compose_model, worker_factory):
    page.goto(f"{live_server.url}/compose/?city={cities['Oxford'].pk}")
    assert page.locator(".stamp-source").all_inner_texts() == ["tree", "house", "boat"]
    page.wait_for_selector("#compose-stage:has-text('Waiting for a painter')")
    assert page.is_disabled("#compose-paint")  # no scene before its background is painted
    worker_factory()
    page.wait_for_function("() => document.querySelector('#compose-backdrop').src.includes('/media/compose/steps/')",
                           timeout=120_000)
    background_shown = fetch(page.get_attribute("#compose-backdrop", "src"))

    # A house dragged from the palette to the canvas's left, a tree and a boat pressed (they land in
    # the middle) and moved with the keys; the boat's shape set to an ellipse.
    canvas = page.locator("#compose-canvas").bounding_box()
    page.locator('.stamp-source[data-category="house"]').hover()
    page.mouse.down()
    page.mouse.move(canvas["x"] + canvas["width"] * 0.25, canvas["y"] + canvas["height"] * 0.6, steps=8)
    page.mouse.up()
    page.click('.stamp-source[data-category="tree"]')
    for _ in range(3):
        page.keyboard.press("Shift+ArrowUp")
    page.click('.stamp-source[data-category="boat"]')
    for _ in range(4):
        page.keyboard.press("Shift+ArrowDown")
    page.select_option("#object-shape", "ellipse")
    assert page.locator("#layer-list .layer-name").all_inner_texts() == ["house", "tree", "boat"]
    # Delete removes the selected box; the palette brings it back.
    page.click('.stamp-source[data-category="tree"]')
    page.keyboard.press("Delete")
    assert page.locator(".stamp").count() == 3

    page.click("#compose-paint")
    page.wait_for_selector("#compose-result:not([hidden])", timeout=120_000)
    assert page.locator(STRIP).count() == 4
    background, scene = Artwork.objects.filter(kind="compose").order_by("pk")
    assert background.inputs["objects"] == []
    assert scene.seed == background.seed and fetch(strip_sources(page)[0]) == background_shown
    assert [item["category"] for item in scene.inputs["objects"]] == ["house", "tree", "boat"]
    assert scene.inputs["objects"][0]["box"][0] < 0.2 and scene.inputs["objects"][2]["shape"] == "ellipse"
    page.locator("#compose-result .step-slider").fill("1")
    assert page.inner_text("#compose-result .step-label") == "step 1: house"
    first_steps = [fetch(url) for url in strip_sources(page)]

    # On the artwork's page: move the tree (object 1) and paint again.
    page.click("#compose-permalink")
    page.wait_for_selector("#compose-steps .step-strip img")
    assert page.locator("#compose-steps .step-strip img").count() == 4
    page.locator('#compose-canvas .stamp[data-index="1"]').click()
    for _ in range(2):
        page.keyboard.press("Shift+ArrowRight")
    assert page.locator('#compose-canvas .stamp[data-index="0"]').get_attribute("class").endswith("locked")
    page.click("#compose-paint")
    page.wait_for_selector("#compose-result:not([hidden])", timeout=120_000)
    changed = Artwork.objects.get(parent=scene)
    assert changed.inputs["base"] == {"artwork": scene.pk, "object": 1}
    new_steps = [fetch(url) for url in strip_sources(page)]
    assert len(new_steps) == 4 and new_steps[:2] == first_steps[:2] and new_steps[2] != first_steps[2]

    # Oxford's composer again: the same background, found rather than painted once more.
    page.goto(f"{live_server.url}/compose/?city={cities['Oxford'].pk}")
    page.wait_for_selector("#compose-paint:not([disabled])")
    assert fetch(page.get_attribute("#compose-backdrop", "src")) == background_shown
    assert Artwork.objects.filter(kind="compose").count() == 3


def test_a_box_resized_past_the_canvas_is_one_the_api_accepts(page, live_server, cities, enqueued):
    from tests.gallery.test_compose_page import activate_compose_version

    activate_compose_version()
    page.goto(f"{live_server.url}/compose/?city={cities['Oxford'].pk}")
    canvas = page.locator("#compose-canvas").bounding_box()
    boxes = []
    # Stamps at x0 = 0.1 and 0.11 (a height of half the canvas over the width, 0.5556 and 0.5618,
    # rounds up: just over half the canvas unless clamped after rounding), 0 and the middle.
    for moves in [["Shift+ArrowLeft"] * 6 + ["Shift+ArrowUp"] * 6, ["Shift+ArrowLeft"] * 5 + ["ArrowLeft"] * 4,
                  ["Shift+ArrowLeft"] * 8 + ["Shift+ArrowUp"] * 2, []]:
        page.click('.stamp-source[data-category="tree"]')
        for key in moves:
            page.keyboard.press(key)
        stamp = page.locator(".stamp.selected")
        for x, y in [(1.3, 1.3), (1.0, 0.2), (0.2, 1.2), (0.93, 0.97)]:  # fractions of the canvas
            page.locator(".stamp.selected .handle").hover()
            page.mouse.down()
            page.mouse.move(canvas["x"] + canvas["width"] * x, canvas["y"] + canvas["height"] * y, steps=4)
            page.mouse.up()
            boxes.append(json.loads(stamp.get_attribute("data-box")))
    for box in boxes:
        x0, y0, x1, y1 = BoxField().to_internal_value(box)  # a ValidationError is the API's 400
        assert [x0, y0, x1, y1] == box and x1 <= 1 and y1 <= 1
    # Dragged past the corner, a box takes all the canvas it may: half of it.
    assert max(round(box[2] - box[0], 4) * round(box[3] - box[1], 4) for box in boxes) > BOX_AREA_MAX - 0.01


def test_the_composer_fits_a_phone_and_takes_taps(phone, live_server, cities, enqueued):
    from tests.gallery.test_compose_page import activate_compose_version

    activate_compose_version()
    phone.goto(f"{live_server.url}/compose/?city={cities['Oxford'].pk}")
    phone.tap('.stamp-source[data-category="boat"]')
    phone.wait_for_selector('#compose-canvas .stamp[data-index="0"]')
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = phone.locator("#compose-canvas").bounding_box()
    assert 300 <= box["width"] <= 390 and box["height"] == box["width"]
    for selector in ["#compose-paint", '.stamp-source[data-category="tree"]', "#layer-list button"]:
        assert phone.locator(selector).first.bounding_box()["height"] >= 44, selector
