"""The queue panel and model management in a real browser (Debian's Chromium, Playwright)."""

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import write_tiny_place_model
from tests.integration.conftest import open_map
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_visitor_sees_their_queue_and_cancels_one_job(page, live_server, cities, place_model, enqueued):  # noqa: F811
    from generation.models import Job

    open_map(page, live_server)
    page.locator("path.city-marker").last.click()
    page.wait_for_selector("#queue:not([hidden]) .queue-item")
    page.locator("path.city-marker").first.click()
    page.wait_for_function("() => document.querySelectorAll('#queue-list .queue-item').length === 2")
    first, second = Job.objects.order_by("pk")
    items = page.locator("#queue-list .queue-item")
    assert items.nth(0).get_attribute("data-job-id") == str(first.public_id)
    assert page.inner_text(f"[data-job-id='{first.public_id}'] .queue-state") == "next in line"
    assert page.inner_text(f"[data-job-id='{second.public_id}'] .queue-state") == "1 job ahead"

    page.click(f"[data-job-id='{first.public_id}'] .queue-cancel")
    page.wait_for_function("() => document.querySelectorAll('#queue-list .queue-item').length === 1")
    page.wait_for_function(
        f"() => document.querySelector(\"[data-job-id='{second.public_id}'] .queue-state\").textContent === 'next in line'"
    )
    assert dict(Job.objects.values_list("pk", "status")) == {first.pk: "cancelled", second.pk: "queued"}


def test_an_admin_uploads_a_model_sees_its_grid_activates_it_and_the_map_uses_it(
    page, live_server, cities, place_model, worker_factory, settings, tmp_path  # noqa: F811
):
    from gallery.models import Artwork
    from generation.models import ModelVersion

    settings.GENERATION_MODELS_DIR = tmp_path / "uploaded"
    folder = write_tiny_place_model(tmp_path / "alps", seed=12)
    get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-pass-phrase")
    worker_factory()

    page.goto(f"{live_server.url}/admin/login/?next=/admin/generation/modelversion/upload/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "a-long-pass-phrase")
    page.click("input[type=submit]")
    page.set_input_files("#id_config", str(folder / "config.json"))
    page.set_input_files("#id_weights", str(folder / "weights.safetensors"))
    page.fill("#id_name", "alps")
    page.click("input[name=_upload]")
    page.wait_for_selector("ul.messagelist")
    uploaded = ModelVersion.objects.get(name="alps")
    assert not uploaded.is_active

    def grid_shown() -> bool:
        page.reload()
        return page.locator("img.sample-grid").count() > 0

    wait_until(grid_shown, timeout=60, interval=0.5, message="the sample grid was not shown")
    grid = page.locator("img.sample-grid")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=grid.element_handle())
    assert page.evaluate("img => img.naturalWidth", grid.element_handle()) == 86
    assert "oracle not available" in page.inner_text(".field-metrics_table") or "{" in page.inner_text(".field-metrics_table")

    page.goto(f"{live_server.url}/admin/generation/modelversion/")
    page.check(f"input[name=_selected_action][value='{uploaded.pk}']")
    page.select_option("select[name=action]", "activate")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist li")
    assert page.inner_text("ul.messagelist") == f"Activated {uploaded}: it now serves place."
    assert list(ModelVersion.objects.filter(is_active=True)) == [uploaded]

    open_map(page, live_server)
    page.locator("path.city-marker").last.click()
    page.wait_for_selector("#job-result:not([hidden])", timeout=60_000)
    artwork = Artwork.objects.get()
    assert artwork.model_sha256 == uploaded.sha256 != place_model.sha256
