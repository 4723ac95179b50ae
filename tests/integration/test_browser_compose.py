"""The composer in a real browser with a real worker: the background of a city first, three
objects dragged, pressed and moved onto it, painted one at a time into a strip with a slider;
then on the artwork's page one object moved and painted again, and every step before it comes
back byte for byte."""
import urllib.request

import pytest

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
    worker_factory()
    page.goto(f"{live_server.url}/compose/?city={cities['Oxford'].pk}")
    assert page.locator(".stamp-source").all_inner_texts() == ["tree", "house", "boat"]
    page.wait_for_function("() => document.querySelector('#compose-backdrop').src.includes('/media/compose/steps/')",
                           timeout=120_000)

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
