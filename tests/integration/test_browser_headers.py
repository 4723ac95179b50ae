"""Every page works under the site's Content-Security-Policy: the map with its drawing tools, the
gallery, an artwork, an exhibition's kiosk and the admin's login, with nothing refused (the
`page` fixture fails a test on any violation Chromium reports)."""
import pytest

from gallery.curation import services as curation
from tests.integration.conftest import open_map

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def kiosk_url(gallery, django_user_model):
    curator = django_user_model.objects.create_user("curator", password="x", is_staff=True)
    exhibition = curation.exhibition_create(title="Cold", slug="cold", user=curator)
    for artwork in (gallery.tromso, gallery.oxford):
        curation.exhibition_item_add(exhibition=exhibition, artwork=artwork, wall_text="North")
    curation.exhibition_publish(exhibition=exhibition)
    return f"/exhibitions/{exhibition.slug}/kiosk/?interval=1"


def test_the_pages_work_under_the_policy_with_nothing_refused(page, live_server, gallery, kiosk_url):
    response = page.goto(live_server.url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "'unsafe-inline'" not in policy
    assert "geolocation=()" in response.headers["permissions-policy"]
    open_map(page, live_server)
    page.click(".leaflet-draw-draw-rectangle")  # the drawing tools
    page.mouse.move(600, 300)
    page.mouse.down()
    page.mouse.move(660, 350)
    page.mouse.up()
    page.wait_for_selector(".leaflet-interactive")
    page.goto(live_server.url + "/gallery/")
    page.wait_for_selector(".artwork-card img, figure img")
    page.goto(live_server.url + gallery.oxford.get_absolute_url())
    page.wait_for_selector("img")
    page.goto(live_server.url + kiosk_url)
    page.wait_for_selector("#kiosk[data-index='1']", timeout=5000)  # it advances by itself
    page.goto(live_server.url + "/admin/login/")
    page.wait_for_selector("#login-form")
