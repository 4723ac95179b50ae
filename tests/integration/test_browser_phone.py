"""Every public page at a phone's size (390 x 844): nothing scrolls sideways, "Log in" stays on
one line and the header's controls are touch-sized (44 px); the map's search is wide enough to
type in, the gallery shows a picture on the first screen with its filters folded behind a
toggle, and the kiosk's controls can be touched.

With GENIUS_LOCI_SCREENSHOTS=docs/img, pictures of the map and of the gallery on a phone are
saved there.
"""
import pytest

from gallery.curation import services as curation
from gallery.jobs import services as jobs
from tests.gallery.curation.conftest import user_make
from tests.integration.conftest import PHONE, open_map, screenshot

pytestmark = [pytest.mark.integration, pytest.mark.browser]

TOUCH = 44  # px: the smallest target a finger hits reliably (WCAG 2.5.5)
# The number of lines an element's text takes on the screen.
TEXT_LINES = """el => { const range = document.createRange(); range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""


def assert_fits_a_phone(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide"
    log_in = page.locator(".account a")
    assert log_in.inner_text() == "Log in"
    assert page.evaluate(TEXT_LINES, log_in.element_handle()) == 1
    for target in page.locator(".site-header a:visible, .site-header input:visible").all():
        box = target.bounding_box()
        assert box["height"] >= TOUCH, f"{target.inner_text() or target.get_attribute('id')}: {box['height']} px high"


@pytest.fixture
def exhibition(gallery):
    curator = user_make("ada", curator=True)
    exhibition = curation.exhibition_create(title="Cities in winter", slug="winter", user=curator,
                                            statement="Three cities at the cold end of the year.")
    for artwork in (gallery.tromso, gallery.london, gallery.auckland):
        curation.exhibition_item_add(exhibition=exhibition, artwork=artwork, wall_text="Painted from its place.")
    return curation.exhibition_publish(exhibition=exhibition)


def test_the_map_has_a_search_wide_enough_to_type_in(phone, live_server, gallery):
    open_map(phone, live_server)
    assert_fits_a_phone(phone)
    search = phone.locator("#city-search").bounding_box()
    assert search["width"] >= 200 and search["x"] + search["width"] <= PHONE["width"]
    phone.fill("#city-search", "oxf")
    phone.wait_for_selector("#search-suggestions li")
    assert phone.locator("#search-suggestions li").first.bounding_box()["height"] >= TOUCH
    screenshot(phone, "phone-map.png")


def test_the_gallery_shows_pictures_first_and_folds_its_filters(phone, live_server, gallery):
    phone.goto(live_server.url + "/gallery/")
    assert_fits_a_phone(phone)
    first = phone.locator(".artwork-card img").first.bounding_box()
    assert first["y"] + first["height"] <= PHONE["height"]
    assert not phone.locator("select[name=city]").is_visible()
    toggle = phone.locator(".filters-fold summary")
    assert toggle.inner_text() == "Filters" and toggle.bounding_box()["height"] >= TOUCH
    screenshot(phone, "phone-gallery.png")

    toggle.click()
    phone.select_option("select[name=city]", label="Oxford, GB")
    phone.click(".filters button[type=submit]")
    phone.wait_for_url("**/gallery/?city=2640729**")
    assert phone.locator(".artwork-card").count() == 2
    assert phone.inner_text(".filters-fold summary") == "Filters (in use)"
    assert_fits_a_phone(phone)


def test_an_artwork_and_a_region_fit_a_phone(phone, live_server, gallery, ground_model):
    phone.goto(live_server.url + gallery.oxford.get_absolute_url())
    assert_fits_a_phone(phone)
    picture = phone.locator(".artwork-image").bounding_box()
    assert picture["width"] == 256 and picture["y"] < PHONE["height"]
    for button in ("#more-like-this", "#regenerate"):
        assert phone.locator(button).bounding_box()["height"] >= TOUCH

    job = jobs.job_create(kind="ground", inputs={"point": {"lat": 48.85, "lon": 2.35}}, seed=3).job
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    phone.goto(live_server.url + job.region.get_absolute_url())
    phone.wait_for_selector("#region-map[data-pins='1']")
    assert_fits_a_phone(phone)


def test_an_exhibition_and_its_kiosk_fit_a_phone(phone, live_server, exhibition):
    phone.goto(live_server.url + "/exhibitions/")
    assert_fits_a_phone(phone)
    phone.goto(live_server.url + exhibition.get_absolute_url())
    assert_fits_a_phone(phone)
    assert phone.locator(".work img").first.bounding_box()["width"] == 256

    phone.goto(live_server.url + exhibition.get_absolute_url() + "kiosk/")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert phone.locator(".slide:visible img").bounding_box()["width"] == 256
    for control in phone.locator(".kiosk-controls button, .kiosk-controls a").all():
        box = control.bounding_box()
        assert box["width"] >= TOUCH and box["height"] >= TOUCH
    phone.click("#kiosk-next")
    phone.wait_for_selector("#kiosk[data-index='1']")
