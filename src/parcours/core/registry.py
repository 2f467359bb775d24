"""A small ordered registry of callables, for the extension points that modules plug into."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    key: str
    order: int
    func: Callable


class OrderedRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def register(self, key: str, order: int = 100):
        def decorator(func):
            self._entries[key] = Entry(key, order, func)
            return func

        return decorator

    def entries(self) -> list[Entry]:
        return sorted(self._entries.values(), key=lambda e: (e.order, e.key))

    def render_all(self, *args) -> list[tuple[str, object]]:
        """(key, result) of every entry whose function returns something for these arguments."""
        results = []
        for entry in self.entries():
            result = entry.func(*args)
            if result:
                results.append((entry.key, result))
        return results
