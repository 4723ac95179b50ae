"""Exhibitions in a real browser: a curator logs in, builds an exhibition from three artworks of
the pool, reorders it by drag and drop and with the arrows, and publishes it; an anonymous visitor
sees the works in that order on the wall and in kiosk mode, advancing by itself and by keyboard.

With GENIUS_LOCI_SCREENSHOTS=docs/img, pictures of the wall and of the kiosk are saved there.
"""
import pytest

from gallery.models import Exhibition
from tests.gallery.curation.conftest import user_make
from tests.integration.conftest import screenshot, watched_page

pytestmark = [pytest.mark.integration, pytest.mark.browser]


SWIPE = """dx => {
  const kiosk = document.getElementById("kiosk");
  const touch = x => new Touch({identifier: 1, target: kiosk, clientX: x, clientY: 300});
  kiosk.dispatchEvent(new TouchEvent("touchstart", {touches: [touch(600)], changedTouches: [touch(600)]}));
  kiosk.dispatchEvent(new TouchEvent("touchend", {touches: [], changedTouches: [touch(600 + dx)]}));
}"""


def add_from_the_pool(page, artwork) -> None:
    card = page.locator(f".pool-card[data-artwork-id='{artwork.pk}']")
    card.locator(".add-to-exhibition").click()
    page.wait_for_function(
        "t => document.querySelector('#pool-status').textContent.startsWith('Added ' + t)", arg=artwork.place_label
    )


def wait_for_order(page, items) -> None:
    page.wait_for_selector(f"#items[data-order='{','.join(str(item.pk) for item in items)}']")


def test_a_curator_builds_and_publishes_an_exhibition_that_a_visitor_sees_in_order(page, browser, served, live_server, gallery):  # noqa: F811
    g = gallery
    user_make("ada", curator=True)

    page.goto(live_server.url + "/curate/")
    page.wait_for_url("**/accounts/login/?next=/curate/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click(".login button[type=submit]")
    page.wait_for_selector("#new-exhibition")
    assert page.locator(".pool-card").count() == 8  # the pool has the hidden artwork too

    page.fill("#new-exhibition [name=title]", "Cities in winter")
    page.fill("#new-exhibition [name=slug]", "winter")
    page.fill("#new-exhibition [name=statement]", "Three cities at the cold end of the year.")
    page.click("#new-exhibition button[type=submit]")
    page.wait_for_url("**/curate/exhibitions/winter/")

    page.click("text=Add works from the pool")
    page.wait_for_selector("#pool")
    for artwork in (g.tromso, g.london, g.auckland):
        add_from_the_pool(page, artwork)
    favourite = page.locator(f".pool-card[data-artwork-id='{g.suva.pk}'] .favourite")
    favourite.click()
    page.wait_for_selector(f".pool-card[data-artwork-id='{g.suva.pk}'] .favourite[aria-pressed=true]")

    page.click("a[href='/curate/exhibitions/winter/']")
    page.wait_for_selector("#items")
    tromso, london, auckland = Exhibition.objects.get(slug="winter").items.all()
    wait_for_order(page, [tromso, london, auckland])

    # Drag Auckland onto the top half of Tromsø: it goes first.
    items = page.locator("#items .item")
    items.nth(2).locator(".handle").drag_to(items.nth(0), target_position={"x": 40, "y": 8})
    wait_for_order(page, [auckland, tromso, london])
    page.click(f"[data-item-id='{london.pk}'] .move-up")
    wait_for_order(page, [auckland, london, tromso])

    wall_texts = {
        auckland: "Winter in June, on the other side of the world.",
        london: "A grey morning by the river; the light comes late.",
        tromso: "Above the Arctic Circle, where the sun does not rise for weeks.",
    }
    for item, text in wall_texts.items():
        page.fill(f"[data-item-id='{item.pk}'] .wall-text", text)
        page.click(f"[data-item-id='{item.pk}'] .save-text")
        page.wait_for_selector("#editor-status:text('The wall text is saved.')")
        page.evaluate("document.querySelector('#editor-status').textContent = ''")
    page.click("#publish")
    page.wait_for_selector("#unpublish")
    hung = Exhibition.objects.get(slug="winter").items.all()
    assert [(i.artwork_id, i.wall_text) for i in hung] == [(i.artwork_id, wall_texts[i]) for i in (auckland, london, tromso)]

    with watched_page(browser, served, viewport={"width": 1280, "height": 800}, has_touch=True) as visitor:
        visitor.goto(live_server.url + "/")
        visitor.click(".site-nav >> text=Exhibitions")
        visitor.click("text=Cities in winter")
        visitor.wait_for_selector(".wall")
        expected = ["Auckland, NZ", "London, GB", "Tromsø, NO"]
        assert [title.split(". ", 1)[1] for title in visitor.locator(".work-title").all_inner_texts()] == expected
        assert "Winter in June" in visitor.inner_text(".work:first-child .wall-text")
        visitor.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
        assert visitor.locator("text=Curate").count() == 0
        screenshot(visitor, "exhibition.png")

        visitor.goto(live_server.url + "/exhibitions/winter/kiosk/?interval=1")
        assert visitor.inner_text(".slide:not([hidden]) .slide-title") == expected[0]
        for index in (1, 2, 0):  # advancing by itself, and looping
            visitor.wait_for_selector(f"#kiosk[data-index='{index}']", timeout=5000)
            assert visitor.inner_text(".slide:not([hidden]) .slide-title") == expected[index]
        visitor.keyboard.press("ArrowLeft")
        assert visitor.get_attribute("#kiosk", "data-index") == "2"
        visitor.evaluate(SWIPE, -200)  # to the left: the next work
        assert visitor.get_attribute("#kiosk", "data-index") == "0"
        assert visitor.locator(".slide:not([hidden])").count() == 1
        screenshot(visitor, "kiosk.png")
