"""Cards on the staff home page, registered by modules (my tasks, late steps, indicators…).

`@home_cards.register("my-tasks", order=10)` on a function (request) -> HTML string or None.
"""

from parcours.core.registry import OrderedRegistry

_cards = OrderedRegistry()
register = _cards.register


def render_all(request) -> list[str]:
    return [html for _, html in _cards.render_all(request)]
