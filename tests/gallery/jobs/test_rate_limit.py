"""The job rate limit: one allowance per client address, counted in the cache every web process
shares, with the address read from REMOTE_ADDR unless trusted proxies are configured."""
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client

from gallery.jobs.apis import JobThrottle
from tests.conftest import REPO

LIMIT = 3


@pytest.fixture(autouse=True)
def small_limit(monkeypatch, db):
    monkeypatch.setattr(JobThrottle, "THROTTLE_RATES", {JobThrottle.scope: f"{LIMIT}/minute"})


def ask(client, **headers) -> int:
    """A job request (a bad one: every request counts, whatever its answer); its status code."""
    return client.post("/api/jobs/", data="{}", content_type="application/json", headers=headers).status_code


def test_the_embedded_cache_is_one_for_all_processes(settings):
    cache.set("seen-by-others", 42)
    code = "import django; django.setup(); from django.core.cache import cache; print(cache.get('seen-by-others'))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "GENIUS_LOCI_VAR_DIR": str(settings.VAR_DIR)}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "42", result.stderr


def test_two_clients_at_one_address_share_one_limit():
    first, second = Client(), Client()
    assert [ask(first), ask(second), ask(first)] == [400, 400, 400]
    assert (ask(second), ask(first)) == (429, 429)


def test_a_forged_forwarded_for_changes_nothing_by_default():
    answers = [ask(Client(), X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(LIMIT + 1)]
    assert answers == [400] * LIMIT + [429]


def test_behind_one_trusted_proxy_the_address_it_saw_is_the_client(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The proxy appends the address it saw; whatever the client wrote before it is not believed.
    answers = [ask(Client(), X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5") for n in range(LIMIT + 1)]
    assert answers == [400] * LIMIT + [429]
    assert ask(Client(), X_FORWARDED_FOR="203.0.113.9") == 400  # another client behind the same proxy
