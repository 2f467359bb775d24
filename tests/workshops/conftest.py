import pytest
from django.conf import settings
from django.core.cache import caches


@pytest.fixture(autouse=True)
def _empty_rate_limit_cache(db):
    # The cache table is not a model: a transactional test's flush leaves its rows behind.
    caches[settings.PARCOURS_RATELIMIT_CACHE].clear()
    yield
