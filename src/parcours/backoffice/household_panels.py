"""Panels on the household page. Each module registers one (pathway, protection, workshops…).

`@household_panels.register("pathway", order=10)` on a function (request, household) -> HTML
string or None; the household page calls them after the access policy has let the user in.
"""

from parcours.core.registry import OrderedRegistry

_panels = OrderedRegistry()
register = _panels.register


def render_all(request, household) -> list[dict]:
    return [{"key": key, "html": html} for key, html in _panels.render_all(request, household)]
