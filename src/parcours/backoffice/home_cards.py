"""Cards on the staff home page, registered by modules (my tasks, late steps, indicators…)."""

from __future__ import annotations

from collections.abc import Callable

CARDS: dict[str, tuple[int, Callable]] = {}


def register(key: str, order: int = 100):
    def decorator(func):
        CARDS[key] = (order, func)
        return func

    return decorator


def render_all(request) -> list[str]:
    rendered = []
    for _, (_, func) in sorted(CARDS.items(), key=lambda kv: kv[1][0]):
        html = func(request)
        if html:
            rendered.append(html)
    return rendered
