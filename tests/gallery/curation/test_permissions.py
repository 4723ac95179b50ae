"""Who may curate: curators (the `curators` group) and staff. Anonymous visitors are sent to log
in on curators' pages and refused by the API; a logged-in visitor who is not a curator gets 403;
curators cannot manage models."""
import pytest
from django.contrib.auth.models import Group

from gallery.curation import errors
from gallery.curation.permissions import CURATORS_GROUP
from gallery.models import Exhibition
from tests.gallery.curation.conftest import curators_group, exhibition_build, user_make


@pytest.fixture
def winter(gallery, curator):
    return exhibition_build(user=curator, slug="winter", artworks=[gallery.tromso, gallery.oxford], published=False)


def writes(gallery, winter) -> list[tuple[str, str, dict | None]]:
    item = winter.items.first().pk
    return [
        ("post", "/api/exhibitions/", {"title": "X", "slug": "x"}),
        ("patch", "/api/exhibitions/winter/", {"title": "Taken over"}),
        ("delete", "/api/exhibitions/winter/", None),
        ("post", "/api/exhibitions/winter/items/", {"artwork": gallery.london.pk}),
        ("patch", f"/api/exhibitions/winter/items/{item}/", {"wall_text": "x"}),
        ("delete", f"/api/exhibitions/winter/items/{item}/", None),
        ("post", "/api/exhibitions/winter/order/", {"items": list(reversed(winter.items.values_list("pk", flat=True)))}),
        ("post", "/api/exhibitions/winter/publish/", None),
        ("post", "/api/exhibitions/winter/unpublish/", None),
        ("post", f"/api/artworks/{gallery.london.pk}/hide/", None),
        ("delete", f"/api/artworks/{gallery.hidden.pk}/hide/", None),
        ("post", f"/api/artworks/{gallery.london.pk}/favourite/", None),
    ]


def snapshot():
    return list(Exhibition.objects.values()), list(Exhibition.objects.values_list("items__pk", "items__position", "items__wall_text"))


@pytest.mark.parametrize("who", ["anonymous", "visitor"])
def test_only_curators_write_through_the_api(client, gallery, winter, visitor, who):
    if who == "visitor":
        client.force_login(visitor)
    before = snapshot()
    for method, path, body in writes(gallery, winter):
        response = getattr(client, method)(path, body, content_type="application/json")
        assert response.status_code == 403, (method, path)
        expected = errors.NOT_A_CURATOR if who == "visitor" else "Authentication credentials were not provided."
        assert response.json() == {"detail": expected}
    assert snapshot() == before
    assert gallery.london.favourites.count() == 0 and not type(gallery.london).objects.get(pk=gallery.london.pk).hidden


@pytest.mark.parametrize("path", ["/curate/", "/curate/exhibitions/winter/"])
def test_anonymous_visitors_are_sent_to_log_in_and_others_are_refused(client, winter, visitor, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"
    client.force_login(visitor)
    assert client.get(path).status_code == 403


def test_a_curator_logs_in_and_lands_on_the_dashboard(client, curator, winter):
    page = client.get("/accounts/login/?next=/curate/")
    assert page.status_code == 200 and 'name="next" value="/curate/"' in page.content.decode()
    wrong = client.post("/accounts/login/", {"username": "ada", "password": "wrong"})
    assert "do not match" in wrong.content.decode()
    response = client.post("/accounts/login/", {"username": "ada", "password": "a-long-pass-phrase"}, follow=True)
    assert response.redirect_chain == [("/curate/", 302)]
    assert '<a href="/curate/">Curate</a>' in response.content.decode() and "Log out" in response.content.decode()


def test_staff_curate_too_and_the_curate_link_is_for_curators_only(client, visitor, gallery):
    staff = user_make("root", is_staff=True)
    client.force_login(visitor)
    assert '<a href="/curate/">Curate</a>' not in client.get("/gallery/").content.decode()
    client.force_login(staff)
    assert client.get("/curate/").status_code == 200
    assert client.post(f"/api/artworks/{gallery.london.pk}/favourite/").status_code == 200


def test_curators_cannot_manage_models(client, place_model):
    curator = user_make("cleo", curator=True, is_staff=True)  # staff, so the admin opens; only the group's permissions
    client.force_login(curator)
    assert client.get("/admin/gallery/exhibition/").status_code == 200
    assert client.get("/admin/generation/modelversion/").status_code == 403
    assert client.get(f"/admin/generation/modelversion/{place_model.pk}/change/").status_code == 403
    assert client.get("/admin/generation/modelversion/upload/").status_code == 403
    assert not curator.has_perm("generation.change_modelversion")
    plain = user_make("dora", curator=True)
    client.force_login(plain)
    assert client.get("/admin/generation/modelversion/").status_code == 302  # to the admin's login


def test_the_migration_makes_the_curators_group_with_exhibition_permissions_only(db):
    Group.objects.filter(name=CURATORS_GROUP).delete()
    group = curators_group()
    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert ("gallery", "change_exhibition") in granted and ("gallery", "delete_exhibitionitem") in granted
    assert ("gallery", "view_artwork") in granted and ("gallery", "change_artwork") not in granted
    assert {app for app, _ in granted} == {"gallery"}
    curators_group()  # running it again changes nothing
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == granted
