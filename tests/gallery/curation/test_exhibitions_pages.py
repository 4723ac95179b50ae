"""Exhibition pages: the list, the wall (order, wall texts, Open Graph), the kiosk, the catalogue
zip; drafts as curators' previews; user text escaped everywhere; hidden artworks left out."""
import csv
import hashlib
import io
import re
import zipfile

import pytest

from gallery.curation import errors, services
from gallery.curation.catalogue import CAPTION_COLUMNS
from tests.gallery.curation.conftest import exhibition_build

SCRIPT = '<script>alert("owned")</script>'
ESCAPED = "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"


@pytest.fixture
def winter(gallery, curator):
    return exhibition_build(
        user=curator, slug="winter", title="Cities in winter", statement=f"Cold light. {SCRIPT}",
        artworks=[gallery.tromso, gallery.hidden, gallery.london, gallery.oxford],
        wall_texts=["Polar night.", "Never shown.", f"Fog. {SCRIPT}", "=HYPERLINK(\"http://x\")"],
    )


def titles(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<h2 class="{css_class}">(?:<span class="work-number">\d+\.</span> )?([^<]*)</h2>', html)


def test_the_wall_shows_the_works_in_order_with_their_texts_and_open_graph_tags(client, winter, gallery):
    page = client.get("/exhibitions/winter/").content.decode()
    assert titles(page, "work-title") == ["Tromsø, NO", "London, GB", "Oxford, GB"]  # the hidden one is left out
    assert "Never shown." not in page and f'data-artwork-id="{gallery.hidden.pk}"' not in page
    assert "<p>Polar night.</p>" in page
    assert '<meta property="og:title" content="Cities in winter">' in page
    assert '<meta property="og:url" content="http://testserver/exhibitions/winter/">' in page
    assert f'<meta property="og:image" content="http://testserver{gallery.tromso.image.url}">' in page


def test_script_in_statements_and_wall_texts_comes_out_escaped(client, curator, winter):
    pages = {
        "wall": client.get("/exhibitions/winter/").content.decode(),
        "kiosk": client.get("/exhibitions/winter/kiosk/").content.decode(),
        "list": client.get("/exhibitions/").content.decode(),
    }
    client.force_login(curator)
    pages["editor"] = client.get("/curate/exhibitions/winter/").content.decode()
    with zipfile.ZipFile(io.BytesIO(client.get("/exhibitions/winter/catalogue.zip").getvalue())) as archive:
        pages["catalogue"] = archive.read("catalogue.html").decode()
    for name, html in pages.items():
        assert SCRIPT not in html, name
        assert ESCAPED in html, name


def test_the_list_shows_published_exhibitions_only(client, winter, gallery, curator):
    exhibition_build(user=curator, slug="draft", title="Unfinished", artworks=[gallery.suva], published=False)
    page = client.get("/exhibitions/").content.decode()
    assert "Cities in winter" in page and "Unfinished" not in page
    assert '<a href="/exhibitions/winter/">' in page and "3 works" in page


def test_a_draft_is_404_for_the_public_and_a_preview_for_curators(client, gallery, curator):
    exhibition_build(user=curator, slug="draft", artworks=[gallery.suva], published=False)
    for path in ("/exhibitions/draft/", "/exhibitions/draft/kiosk/", "/exhibitions/draft/catalogue.zip"):
        assert client.get(path).status_code == 404, path
    client.force_login(curator)
    preview = client.get("/exhibitions/draft/")
    assert preview.status_code == 200 and "Preview: this exhibition is a draft" in preview.content.decode()
    assert client.get("/exhibitions/draft/catalogue.zip").status_code == 200


def test_the_kiosk_shows_one_work_at_a_time_at_the_interval_asked(client, winter):
    page = client.get("/exhibitions/winter/kiosk/").content.decode()
    assert 'data-interval="12"' in page
    assert titles(page, "slide-title") == ["Tromsø, NO", "London, GB", "Oxford, GB"]
    assert page.count('<figure class="slide"') == 3 and page.count(" hidden>") == 2  # all but the first wait
    assert 'data-interval="1"' in client.get("/exhibitions/winter/kiosk/?interval=1").content.decode()
    for bad in ("0", "fast", "-3", "3601"):
        refused = client.get(f"/exhibitions/winter/kiosk/?interval={bad}")
        assert refused.status_code == 400 and errors.INTERVAL_INVALID in refused.content.decode(), bad


def test_the_catalogue_has_the_full_images_captions_and_a_printable_page(client, winter, gallery, place_model):
    response = client.get("/exhibitions/winter/catalogue.zip")
    assert response["Content-Type"] == "application/zip"
    assert 'attachment; filename="winter-catalogue.zip"' == response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
    images = [name for name in archive.namelist() if name.startswith("images/")]
    assert images == [
        f"images/01-tromso-no-{gallery.tromso.pk}.png", f"images/02-london-gb-{gallery.london.pk}.png",
        f"images/03-oxford-gb-{gallery.oxford.pk}.png",
    ]
    for name, artwork in zip(images, (gallery.tromso, gallery.london, gallery.oxford)):
        with artwork.image.open("rb") as stored:
            assert archive.read(name) == stored.read()  # the stored PNG, provenance chunk and all

    rows = list(csv.DictReader(io.StringIO(archive.read("captions.csv").decode())))
    assert list(rows[0]) == CAPTION_COLUMNS
    assert [(r["position"], r["title"], r["wall_text"]) for r in rows] == [
        ("1", "Tromsø, NO", "Polar night."), ("2", "London, GB", f"Fog. {SCRIPT}"), ("3", "Oxford, GB", "'=HYPERLINK(\"http://x\")"),
    ]
    first = rows[0]
    assert (first["kind"], first["seed"], first["model_version"], first["model_sha256"]) == ("place", "5", place_model.name, place_model.sha256)
    assert first["image_sha256"] == hashlib.sha256(archive.read(images[0])).hexdigest()
    assert first["permalink"] == f"http://testserver/artworks/{gallery.tromso.pk}/"

    html = archive.read("catalogue.html").decode()
    assert re.findall(r'<img src="([^"]+)"', html) == images
    assert "@media print" in html and "break-after: page" in html


def test_the_dashboard_lists_the_pool_with_hidden_artworks_and_its_toggles(curator_client, gallery, curator, winter):
    services.favourite_add(artwork=gallery.suva, user=curator)
    services.exhibition_create(title="Next show", slug="next-show", user=curator)
    page = curator_client.get("/curate/").content.decode()
    assert "8 artworks" in page and f'data-artwork-id="{gallery.hidden.pk}"' in page
    assert '<option value="next-show">Next show</option>' in page  # the curator's drafts to add to
    assert '<a href="/curate/exhibitions/winter/">Cities in winter</a>' in page
    favourites = curator_client.get("/curate/", {"favourites": "true"}).content.decode()
    assert "1 artwork<" in favourites and f'data-artwork-id="{gallery.suva.pk}"' in favourites
    hidden = curator_client.get("/curate/", {"hidden": "true", "country": "GB"}).content.decode()
    assert "1 artwork<" in hidden and f'data-artwork-id="{gallery.hidden.pk}"' in hidden
    refused = curator_client.get("/curate/", {"kind": "painting"})
    assert refused.status_code == 400 and "kind must be one of" in refused.content.decode()


def test_the_editor_flags_hidden_artworks_and_curators_open_them(client, curator, winter, gallery):
    assert client.get(f"/artworks/{gallery.hidden.pk}/").status_code == 404
    client.force_login(curator)
    page = client.get("/curate/exhibitions/winter/").content.decode()
    assert page.count('<li class="item') == 4 and page.count("hidden: left out of the public wall") == 1
    assert client.get(f"/artworks/{gallery.hidden.pk}/").status_code == 200
