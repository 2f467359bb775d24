"""The import's IdSet answers membership exactly as a Python set would."""

from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.core.bulk import IdSet

# Ids near the first one (bits), far from it on either side (the overflow set), and at the edges of the span.
near = st.integers(min_value=0, max_value=5000)
edges = st.sampled_from([0, 1, 7, 8, IdSet.SPAN - 1, IdSet.SPAN, IdSet.SPAN + 1, -1, -8])
offsets = st.one_of(near, edges, st.integers(min_value=-(10**9), max_value=10**9))


@settings(max_examples=300, deadline=None)
@given(
    base=st.integers(min_value=1, max_value=10**12),
    batches=st.lists(st.lists(offsets, max_size=50), max_size=6),
    probes=st.lists(offsets, max_size=100),
)
def test_idset_behaves_as_a_set(base, batches, probes):
    ids, reference = IdSet(), set()
    for batch in batches:
        ids.update(base + offset for offset in batch)
        reference.update(base + offset for offset in batch)
        for pk in reference:
            assert pk in ids
    for offset in [*probes, *(o + 1 for o in probes), *(o - 1 for o in probes)]:
        assert ((base + offset) in ids) == ((base + offset) in reference)


def test_an_empty_idset_holds_nothing():
    assert 0 not in IdSet() and 1 not in IdSet()
