"""The gallery in a real browser: the grid and its filters, an artwork's page with its
provenance, lineage and actions, and the map of artworks.

With GENIUS_LOCI_SCREENSHOTS=docs/img the artworks are painted by the trained model shipped in
models/place-demo (enlarged by models/upsample-demo), and pictures of the grid and of an artwork's page are saved there for the docs.
"""

import pytest

from gallery.jobs import services
from generation.models import Job
from generation.selectors import model_version_active
from tests.integration.conftest import screenshot
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_filter_the_grid_by_city_open_an_artwork_and_follow_its_lineage(page, live_server, gallery, painter):
    page.goto(live_server.url + "/")
    page.click(".site-nav >> text=Gallery")
    page.wait_for_selector(".artwork-grid")
    assert page.locator(".artwork-card").count() == 7
    # Every picture arrives (waited for: on a busy machine they load after the grid is drawn).
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    screenshot(page, "gallery.png")

    page.select_option("select[name=city]", label="Oxford, GB")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**/gallery/?city=2640729**")
    assert page.locator(".artwork-card").count() == 2
    page.locator(".artwork-card a").last.click()  # the older of the two: the original

    page.wait_for_selector(".provenance")
    assert page.inner_text("h1") == "Oxford, GB"
    provenance = page.inner_text(".provenance")
    assert painter.sha256 in provenance and painter.name in provenance and "2640729" in provenance
    image = page.locator(".artwork-image").element_handle()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
    upsampler = model_version_active(kind="upsample")  # the shown picture is its enlargement
    scale = upsampler.config["architecture"]["scale"] if upsampler else 1
    assert page.evaluate("img => img.naturalWidth", image) == painter.config["resolution"] * scale
    assert page.get_attribute("meta[property='og:image']", "content").startswith(live_server.url + "/media/")
    assert page.locator(".lineage .lineage-node.current").count() == 1
    children = page.locator(".lineage .children .lineage-node")
    assert children.count() == 1  # the hidden variation is left out
    screenshot(page, "artwork.png")

    children.click()
    page.wait_for_selector(".lineage")
    assert page.inner_text(".seed") == "2"
    assert "made from" in page.inner_text(".lineage")


def test_the_map_of_artworks_shows_thinned_markers(page, live_server, gallery):
    page.goto(live_server.url + "/gallery/map/")
    page.wait_for_selector("#artworks[data-land-ready=true]")
    page.wait_for_selector("#artworks[data-artworks]")
    # The map opens on all the artworks at zoom 2, where Oxford's two and London's share a cell,
    # counted on its marker; Tromsø, Auckland, Suva and the point at sea have one each.
    assert page.get_attribute("#artworks", "data-artworks") == "5"
    assert page.locator(".artwork-marker").count() == 5
    assert page.locator(".artwork-marker-count").all_inner_texts() == ["3"]
    page.locator(".artwork-marker", has=page.locator(".artwork-marker-count")).click()
    popup = page.locator(".artwork-popup")
    assert popup.locator("a").inner_text() == "London, GB"
    assert "2 more nearby" in popup.inner_text()
    popup.locator("a").click()
    page.wait_for_selector(".provenance")
    assert page.inner_text("h1") == "London, GB"


def test_the_map_of_artworks_follows_the_gallery_filters(page, live_server, gallery):
    page.goto(live_server.url + "/gallery/?country=NZ")
    page.click("text=See them on the map")
    page.wait_for_selector("#artworks[data-artworks]")
    assert page.get_attribute("#artworks", "data-artworks") == "1"
    assert page.get_attribute(".artwork-marker img", "alt") == "Auckland, NZ"


def _paint_with_the_worker(city, seed: int):
    job = services.job_create(kind="place", inputs={"city": city.pk}, seed=seed).job
    wait_until(lambda: Job.objects.get(pk=job.pk).status in ("done", "failed"), timeout=60,
               message="the worker did not paint the job")
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job.artwork


def test_more_like_this_and_regenerate_exactly(page, live_server, cities, place_model, worker_factory):
    worker_factory()
    artwork = _paint_with_the_worker(cities["Tromsø"], seed=21)
    page.goto(live_server.url + artwork.get_absolute_url())

    page.click("#more-like-this")
    page.wait_for_selector("#action-progress", state="visible")
    page.wait_for_selector("#action-results:not([hidden]) .artwork-card", timeout=60_000)
    page.wait_for_function("() => !document.querySelector('#more-like-this').disabled", timeout=60_000)
    assert page.inner_text("#action-status") == "4 of 4 variations painted."
    assert page.locator("#action-results .artwork-card").count() == 4
    assert sorted(child.parent_id for child in artwork.children.all()) == [artwork.pk] * 4

    page.click("#regenerate")
    page.wait_for_selector("#action-verdict:not([hidden])", timeout=60_000)
    verdict = page.inner_text("#action-verdict")
    assert verdict.startswith("Identical bytes") and Job.objects.filter(purpose="regenerate").count() == 1

    page.reload()
    assert page.locator(".lineage .children .lineage-node").count() == 4
