"""What the panels of one page read once and share (the household page: timeline and panels).

The household page renders a panel per module and a timeline excerpt, and several of them read
the same rows (the household's messages, its workshop activity, its violence reports). The view
that renders them calls `start(obj)`; within that render, `shared(obj, key, compute)` computes
once. Anywhere else `compute()` runs every time, so a service or a test never sees a stale read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_ATTR = "_page_memo"


def start(obj) -> None:
    obj.__dict__[_ATTR] = {}


def shared(obj, key, compute: Callable[[], T]) -> T:
    memo = obj.__dict__.get(_ATTR) if obj is not None else None
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
