import pytest


@pytest.fixture(autouse=True)
def _database(db):
    # Every workshops test touches the database (sessions, registrations, rate counters).
    yield
