"""Panels on the household page. Each module registers one (pathway, protection, workshops…).

A panel is a function (request, household) -> HTML string or None, registered with an order;
the household page calls them after the access policy has let the user in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    render: Callable


PANELS: dict[str, Panel] = {}


def register(key: str, order: int = 100):
    def decorator(func):
        PANELS[key] = Panel(key, order, func)
        return func

    return decorator


def render_all(request, household) -> list[dict]:
    sections = []
    for panel in sorted(PANELS.values(), key=lambda p: p.order):
        html = panel.render(request, household)
        if html:
            sections.append({"key": panel.key, "html": html})
    return sections
