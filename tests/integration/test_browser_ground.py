"""Drawing a region on the map in a real browser: the views come back as a strip with pins."""
import math

import pytest

from generation import services
from tests.integration.conftest import REPO, SCREENSHOTS, open_map, screenshot

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# The opening view (settings.LEAFLET_CONFIG): centre (30, 10) at zoom 2, 256-pixel tiles.
CENTRE, WORLD_PIXELS = (30.0, 10.0), 256 * 2**2


def _world_pixel(lat: float, lon: float) -> tuple[float, float]:
    x = (lon + 180.0) / 360.0 * WORLD_PIXELS
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * WORLD_PIXELS
    return x, y


def screen_point(page, lat: float, lon: float) -> tuple[float, float]:
    box = page.locator("#atlas").bounding_box()
    cx, cy = _world_pixel(*CENTRE)
    x, y = _world_pixel(lat, lon)
    return box["x"] + box["width"] / 2 + x - cx, box["y"] + box["height"] / 2 + y - cy


@pytest.fixture
def ground_painter(ground_model):
    """The active ground model: the tiny one, or the shipped trained one for screenshots."""
    if not SCREENSHOTS:
        return ground_model
    return services.model_version_register(folder=REPO / "models" / "ground-demo", name="ground-demo", activate=True)


def test_draw_a_rectangle_and_see_the_ground_views_pinned_where_they_stand(page, live_server, cities, ground_painter,
                                                                             worker_factory):
    worker_factory()
    open_map(page, live_server)
    page.click(".leaflet-draw-draw-rectangle")
    west_north, east_south = screen_point(page, 49.0, 5.0), screen_point(page, 46.0, 10.0)  # Alsace to Zürich
    page.mouse.move(*west_north)
    page.mouse.down()
    page.mouse.move(*east_south, steps=5)
    page.mouse.up()

    page.wait_for_selector("#ground:not([hidden])", timeout=60_000)
    from gallery.models import Region

    region = Region.objects.get()
    count = len(region.spots)
    assert page.locator("#ground-strip li").count() == count == 16  # a region this large: the cap
    assert page.locator(".view-pin").count() == count
    assert "land use:" in page.inner_text("#ground-land-use")
    page.wait_for_function("() => [...document.querySelectorAll('#ground-strip img')].every(img => img.complete)")
    screenshot(page, "ground-map.png")
    page.goto(page.get_attribute("#ground-permalink", "href"))
    assert page.locator("#region-strip li").count() == count
    page.wait_for_selector("#region-map[data-pins='16']")
    screenshot(page, "region.png")
