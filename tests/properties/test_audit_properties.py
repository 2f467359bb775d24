"""The audit chain's canonical form: one reading per entry, and the import's fast path agrees with it."""

import json
from datetime import UTC, datetime

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parcours.core import audit
from parcours.core.models import AuditEntry

# Any text a record may hold (quotes, backslashes, control and line-separator characters, accents),
# but no lone surrogate (neither a database nor UTF-8 stores one) and no NUL (PostgreSQL's text
# refuses it; the import and the API refuse it before it reaches the database).
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
entries = st.builds(
    AuditEntry,
    id=st.integers(min_value=1, max_value=2**40),
    created_at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    actor_id=st.none() | st.integers(min_value=1, max_value=10**6),
    actor_label=text,
    action=text,
    object_type=text,
    object_id=text,
    object_ref=text,
    department=text,
    scope=text,
    reason=text,
    data=st.dictionaries(text, json_value, max_size=4),
)
FIELDS = ("id", "actor_id", "actor_label", "action", "object_type", "object_id", "object_ref",
          "department", "scope", "reason", "data")  # fmt: skip


def _fields(entry: AuditEntry) -> tuple:
    return tuple(getattr(entry, f) for f in FIELDS) + (entry.created_at,)


@settings(max_examples=300, deadline=None)
@given(entry=entries)
def test_the_canonical_form_reads_back_to_the_entry(entry):
    decoded = json.loads(audit._canonical(entry))
    assert decoded[0] == entry.id and decoded[2:] == [
        entry.actor_id, entry.actor_label, entry.action, entry.object_type, entry.object_id,
        entry.object_ref, entry.department, entry.scope, entry.reason, entry.data,
    ]  # fmt: skip
    assert audit._canonical(entry) == audit._canonical(entry)  # deterministic (dict order aside)


@settings(max_examples=300, deadline=None)
@given(a=entries, b=entries)
def test_two_different_entries_never_share_a_canonical_form(a, b):
    # A shared form would let an edit (a character moved from one field to the next) keep the hash.
    if _fields(a) != _fields(b):
        assert audit._canonical(a) != audit._canonical(b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    described=st.lists(
        st.tuples(
            text.filter(lambda s: len(s) <= 64), text, text.map(lambda s: s[:3]), text.map(lambda s: s[:64])
        ),
        min_size=1,
        max_size=4,
    ),
    data=st.dictionaries(text, json_value, max_size=3),
    action=text.map(lambda s: s[:100]),
)
def test_the_imports_fast_path_hashes_as_the_canonical_form_does(db, described, data, action):
    before = AuditEntry.objects.count()
    with transaction.atomic():
        assert audit.record_described(None, action, "pathways.pathway", described, data=data) == len(
            described
        )
    written = list(AuditEntry.objects.order_by("id")[before:])
    assert [e.hash for e in written] == [audit.compute_hash(e) for e in written]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(entries, min_size=1, max_size=4))
def test_verify_recomputes_each_stored_entry_as_the_canonical_form_does(db, batch):
    # `verify` streams plain rows and rebuilds the canonical form itself (no model instance): any
    # difference from `_canonical` (a null actor, an escaped character, a timestamp) would report
    # an intact entry as edited, or let an edit through.
    written = []
    for entry in batch:
        entry.id, entry.actor_id = None, None  # a fresh id; no actor row to point to
        entry.object_id, entry.department, entry.scope = (
            entry.object_id[:64],
            entry.department[:3],
            entry.scope[:64],
        )
        entry.action, entry.object_type = entry.action[:100], entry.object_type[:60]
        entry.actor_label, entry.object_ref = entry.actor_label[:200], entry.object_ref[:200]
        written.append(audit._append_one(entry))
    recomputed = {pk: (stored, expected) for pk, stored, _, expected in audit._entry_hashes(chunk_size=2)}
    for entry in written:
        assert recomputed[entry.id] == (entry.hash, audit.compute_hash(entry))
