"""Fixtures of the jobs tests."""
import pytest


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with the job rate limit unspent (it counts in the default cache)."""
    from django.core.cache import cache

    cache.clear()
