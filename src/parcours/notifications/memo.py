"""A memo for one batch of chokepoint decisions (`chokepoint.decide_batch`).

Inside `batch()`, `remembered(key, compute)` computes once what does not depend on the message (a
department's Caf name, whether a person is on the protected track, the private fragments of a
parent): the rules are the same, they are only not re-read for every message of the batch. Outside
a batch every call reads afresh, as a single decision always did.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("chokepoint_memo", default=None)


def remembered(key, compute):
    """`compute()`, once per batch for `key` (outside a batch: every time)."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@contextmanager
def batch():
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)
