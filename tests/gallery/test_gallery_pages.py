"""The gallery's pages: the grid, the map of artworks, an artwork's page and its download."""
import io
import json
import re

from django.contrib.auth import get_user_model
from PIL import Image

from gallery import filters
from gallery.models import Artwork
from gallery.services import PROVENANCE_KEY
from tests.conftest import EDIT_SUGGESTED


def card_titles(response) -> list[str]:
    return re.findall(r'<span class="card-title">([^<]*)</span>', response.content.decode())


def test_the_grid_lists_public_artworks_newest_first(client, gallery):
    response = client.get("/gallery/")
    assert response.status_code == 200
    assert card_titles(response) == ["0.500, -30.250", "Suva, FJ", "Auckland, NZ", "Tromsø, NO", "London, GB", "Oxford, GB", "Oxford, GB"]
    assert f'href="/artworks/{gallery.hidden.pk}/"' not in response.content.decode()
    assert "7 artworks" in response.content.decode()


def test_the_grid_filters_sorts_and_keeps_the_form_filled(client, gallery, cities):
    response = client.get("/gallery/", {"country": "GB", "sort": "most_viewed"})
    assert card_titles(response) == ["London, GB", "Oxford, GB", "Oxford, GB"]
    page = response.content.decode()
    assert '<option value="GB" selected>' in page and '<option value="most_viewed" selected>' in page
    assert "/gallery/map/?country=GB&amp;sort=most_viewed" in page  # the same artworks on the map
    oxford = client.get("/gallery/", {"city": cities["Oxford"].pk, "created_from": "2026-01-11"})
    assert card_titles(oxford) == ["Oxford, GB"]


def test_the_grid_pages_keep_the_filters(client, gallery, monkeypatch):
    monkeypatch.setattr("gallery.views.PAGE_SIZE", 3)
    first = client.get("/gallery/", {"sort": "most_viewed"}).content.decode()
    assert "Page 1 of 3" in first
    assert 'href="?sort=most_viewed&amp;page=2"' in first
    last = client.get("/gallery/", {"sort": "most_viewed", "page": 3})
    assert card_titles(last) == ["Oxford, GB"]  # the variation: no views, and older than the other
    assert 'rel="prev" href="?sort=most_viewed&amp;page=2"' in last.content.decode()


def test_bad_filters_answer_400_naming_the_field(client, gallery):
    response = client.get("/gallery/", {"created_from": "yesterday", "kind": "<b>x</b>"})
    assert response.status_code == 400
    page = response.content.decode()
    assert filters.DATE_INVALID.format(field="created_from") in page
    assert filters.KIND_INVALID.format(kinds="place, ground, edit, compose") in page
    assert card_titles(response) == []
    assert "<b>x</b>" not in page
    past = client.get("/gallery/", {"page": "9"})
    assert past.status_code == 400 and filters.PAGE_INVALID.format(last=1) in past.content.decode()


def test_the_map_of_artworks_page(client, gallery):
    response = client.get("/gallery/map/", {"country": "GB"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-markers-url="/api/artworks/map/"' in page and 'data-filters="country=GB"' in page
    g = gallery
    assert f'data-extent="{g.oxford.lon},{g.london.lat},{g.london.lon},{g.oxford.lat}"' in page  # it opens on them
    bad = client.get("/gallery/map/", {"country": "Britain"})
    assert bad.status_code == 400 and filters.COUNTRY_INVALID in bad.content.decode()


def test_the_artwork_page_shows_provenance_lineage_and_share_tags(client, gallery, place_model):
    g = gallery
    response = client.get(f"/artworks/{g.oxford.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<img class="artwork-image picture" src="{g.oxford.image.url}"' in page
    for fact in ("tiny-place", f"#{place_model.pk}", place_model.sha256, "place", "&quot;city&quot;: 2640729", ">1</code>"):
        assert fact in page, fact
    assert f'<meta property="og:image" content="http://testserver{g.oxford.image.url}">' in page
    assert f'<meta property="og:url" content="http://testserver/artworks/{g.oxford.pk}/">' in page
    assert '<meta property="og:title" content="Oxford, GB — Genius Loci">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert "An impression of Oxford, GB painted by the place model tiny-place from seed 1." in page
    lineage = page[page.index('class="lineage"'):page.index('class="actions"')]
    assert f'href="/artworks/{g.variation.pk}/"' in lineage and "a variation" in lineage
    assert f'href="/artworks/{g.hidden.pk}/"' not in lineage
    child = client.get(f"/artworks/{g.variation.pk}/").content.decode()
    assert "made from" in child and f'href="/artworks/{g.oxford.pk}/"' in child


def test_the_edit_box_suggests_the_texts_the_active_edit_model_was_measured_to_edit_best(
        client, gallery, measured_edit_model):
    page = client.get(f"/artworks/{gallery.oxford.pk}/").content.decode()
    datalist = page[page.index('<datalist id="edit-suggestions">'):page.index("</datalist>")]
    assert re.findall(r'<option value="([^"]*)">', datalist) == EDIT_SUGGESTED
    assert 'list="edit-suggestions"' in page and f'placeholder="{EDIT_SUGGESTED[0]}"' in page
    assert "appeared in at least\n          90% of its edits" in page


def test_an_edit_model_without_metrics_gets_no_suggestions(client, gallery, edit_model):
    page = client.get(f"/artworks/{gallery.oxford.pk}/").content.decode()
    assert 'id="edit-form"' in page and "edit-suggestions" not in page and 'id="edit-hint"' not in page


def test_user_text_in_inputs_is_escaped(client, gallery):
    Artwork.objects.filter(pk=gallery.oxford.pk).update(inputs={"text": "<script>alert(1)</script>"})
    page = client.get(f"/artworks/{gallery.oxford.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_each_page_view_is_counted(client, gallery):
    for expected in (6, 7):
        page = client.get(f"/artworks/{gallery.oxford.pk}/").content.decode()
        assert f'<dd class="views">{expected}</dd>' in page
    assert Artwork.objects.get(pk=gallery.oxford.pk).view_count == 7
    client.get(f"/artworks/{gallery.oxford.pk}/download/")
    client.get(f"/api/artworks/{gallery.oxford.pk}/")
    assert Artwork.objects.get(pk=gallery.oxford.pk).view_count == 7  # only the page counts


def test_a_hidden_artwork_is_not_found_except_by_staff(client, gallery):
    assert client.get(f"/artworks/{gallery.hidden.pk}/").status_code == 404
    assert client.get(f"/artworks/{gallery.hidden.pk}/download/").status_code == 404
    staff = get_user_model().objects.create_user("curator", password="x", is_staff=True)
    client.force_login(staff)
    response = client.get(f"/artworks/{gallery.hidden.pk}/")
    assert response.status_code == 200 and "Hidden by a curator" in response.content.decode()


def test_download_is_the_stored_png_with_its_provenance(client, gallery, place_model):
    response = client.get(f"/artworks/{gallery.tromso.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="genius-loci-{gallery.tromso.pk}-troms-no-seed-5.png"'
    body = b"".join(response.streaming_content)
    with gallery.tromso.image.open("rb") as stored:
        assert body == stored.read()
    provenance = json.loads(Image.open(io.BytesIO(body)).text[PROVENANCE_KEY])
    assert provenance["seed"] == 5 and provenance["model"]["sha256"] == place_model.sha256


def test_the_header_links_the_gallery(client, db):
    assert '<a href="/gallery/">Gallery</a>' in client.get("/").content.decode()
