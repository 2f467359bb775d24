"""Sections of the public home page, registered by modules (e.g. the workshops list)."""

from collections.abc import Callable

SECTIONS: dict[str, tuple[int, Callable]] = {}


def register(key: str, order: int = 100):
    def decorator(func):
        SECTIONS[key] = (order, func)
        return func

    return decorator


def render_all(request) -> list[str]:
    out = []
    for _, (_, func) in sorted(SECTIONS.items(), key=lambda kv: kv[1][0]):
        html = func(request)
        if html:
            out.append(html)
    return out
