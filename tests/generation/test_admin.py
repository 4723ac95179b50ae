from generation.models import ModelVersion
from generation.services import model_version_register
from tests.conftest import write_tiny_place_model


def test_the_admin_lists_versions_and_activates_one_per_kind(admin_client, tmp_path):
    first = model_version_register(folder=write_tiny_place_model(tmp_path / "first", seed=1), activate=True)
    second = model_version_register(folder=write_tiny_place_model(tmp_path / "second", seed=2))
    page = admin_client.get("/admin/generation/modelversion/")
    assert page.status_code == 200
    assert first.sha256[:12].encode() in page.content and second.sha256[:12].encode() in page.content

    response = admin_client.post(
        "/admin/generation/modelversion/", {"action": "activate", "_selected_action": [second.pk]}, follow=True
    )
    assert response.status_code == 200
    assert list(ModelVersion.objects.filter(is_active=True)) == [second]


def test_the_admin_refuses_two_versions_of_one_kind_at_once(admin_client, tmp_path):
    first = model_version_register(folder=write_tiny_place_model(tmp_path / "first", seed=1), activate=True)
    second = model_version_register(folder=write_tiny_place_model(tmp_path / "second", seed=2))
    response = admin_client.post(
        "/admin/generation/modelversion/", {"action": "activate", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert b"Choose at most one version per kind." in response.content
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]


def test_anonymous_visitors_cannot_reach_the_registry(client, db):
    response = client.get("/admin/generation/modelversion/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
