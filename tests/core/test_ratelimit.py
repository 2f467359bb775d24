"""The public forms' rate limiter: exact, shared through the database, constant cost, self-purging."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from parcours.core import ratelimit, schedule
from parcours.core.models import RateCounter

NOW = 1_800_000_000.0


def test_counts_within_a_window_and_starts_again_in_the_next(db):
    assert [ratelimit.hit("form", "1.2.3.4", limit=2, period=3600, now=NOW) for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert ratelimit.hit("form", "5.6.7.8", limit=2, period=3600, now=NOW) is True
    assert ratelimit.hit("autre", "1.2.3.4", limit=2, period=3600, now=NOW) is True
    assert ratelimit.hit("form", "1.2.3.4", limit=2, period=3600, now=NOW + 3600) is True


def test_keeps_no_personal_data(db):
    ratelimit.hit("contact", "victime@exemple.fr", limit=5, period=86400, now=NOW)
    (key,) = RateCounter.objects.values_list("key", flat=True)
    assert "victime" not in key and len(key) == 64


def test_a_zero_limit_means_no_limit_and_writes_nothing(db):
    assert ratelimit.hit("form", "1.2.3.4", limit=0, period=60, now=NOW)
    assert not RateCounter.objects.exists()


def _check_queries():
    with CaptureQueriesContext(connection) as captured:
        ratelimit.hit("form", "9.9.9.9", limit=20, period=3600, now=NOW)
    return [q["sql"] for q in captured.captured_queries]


def test_one_check_costs_one_statement_whatever_the_history(db):
    """Django's database cache ran a COUNT(*) of its whole table before every write: not here."""
    before = _check_queries()
    RateCounter.objects.bulk_create(
        RateCounter(key=f"{i:064x}", window=i % 50, count=1, expires_at=int(NOW) + i) for i in range(100_000)
    )
    after = _check_queries()
    assert len(before) == len(after) == 1
    assert after[0] == before[0]
    assert "ON CONFLICT" in after[0].upper() and "COUNT(" not in after[0].upper()
    # The conflict target is the unique index on (key, window): the lookup never scans the table.
    names = {c.name for c in RateCounter._meta.constraints}
    assert "rate_counter_key_window" in names
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN QUERY PLAN SELECT count FROM {RateCounter._meta.db_table} "  # noqa: S608
                'WHERE key = %s AND "window" = %s',
                ["x", 1],
            )
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING INDEX" in plan and "SCAN" not in plan


def test_expired_windows_are_purged_by_a_periodic_job(db):
    ratelimit.hit("form", "1.2.3.4", limit=5, period=3600, now=NOW)
    ratelimit.hit("form", "1.2.3.4", limit=5, period=3600, now=NOW + 4 * 3600)
    assert ratelimit.purge(now=NOW + 3 * 3600) == 1
    assert RateCounter.objects.count() == 1
    assert schedule.get("core.purge_rate_counters")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_checks_in_several_connections_are_exact():
    """Twelve connections race on one key with a limit of 5: exactly 5 pass."""
    results, barrier = [], threading.Barrier(12)

    def attempt():
        try:
            barrier.wait()
            results.append(ratelimit.hit("race", "1.2.3.4", limit=5, period=3600, now=NOW))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True] * 5
    assert RateCounter.objects.get().count == 12


def test_several_limits_are_counted_in_one_statement_and_any_one_over_refuses(db):
    checks = [("ip", "1.2.3.4", 3, 3600), ("contact", "awa@exemple.fr", 1, 86400)]
    with CaptureQueriesContext(connection) as captured:
        assert ratelimit.hit_all(checks, now=NOW) is True
    assert len(captured.captured_queries) == 1
    assert RateCounter.objects.count() == 2
    assert ratelimit.hit_all(checks, now=NOW) is False  # the contact's limit of 1 is passed
    assert ratelimit.hit_all(checks[:1], now=NOW) is True  # the address alone: 3rd of 3
    assert sorted(RateCounter.objects.values_list("count", flat=True)) == [2, 3]
