"""Fixtures and helpers for the curation tests: a curator, a visitor with an account who is not
one, and exhibitions built through the services."""
import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from gallery.curation import services
from gallery.curation.permissions import CURATORS_GROUP


curators_migration = importlib.import_module("gallery.migrations.0005_curators_group")


def curators_group() -> Group:
    """The group as its migration makes it: a transactional test's flush empties the tables, and
    only the permissions themselves come back on their own."""
    curators_migration.create_curators(apps, None)
    return Group.objects.get(name=CURATORS_GROUP)


def user_make(username: str, *, curator: bool = False, **extra):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "a-long-pass-phrase", **extra)
    if curator:
        user.groups.add(curators_group())
    return user


@pytest.fixture
def curator(db):
    return user_make("ada", curator=True)


@pytest.fixture
def visitor(db):
    """Logged in, but not a curator."""
    return user_make("bob")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def exhibition_build(*, user, slug: str, artworks, wall_texts=None, published: bool = True, **fields):
    """An exhibition of these artworks in this order, published unless told otherwise."""
    exhibition = services.exhibition_create(title=fields.pop("title", slug.replace("-", " ").title()), slug=slug, user=user, **fields)
    for index, artwork in enumerate(artworks):
        text = wall_texts[index] if wall_texts else f"Wall text {index + 1}"
        services.exhibition_item_add(exhibition=exhibition, artwork=artwork, wall_text=text)
    if published:
        services.exhibition_publish(exhibition=exhibition)
    return exhibition
