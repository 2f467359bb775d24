"""What other modules tell the households module (registered at start-up from their `ready()`).

The households module does not know the protection module (which depends on it); the safety rules
that must hold for every door of a household write plug in here:

- `address_protection_hold(actor, person, reason, address, elected) -> object | None`: a request to
  protect a person's address may be held for a human decision instead of being applied — the
  person is the other parent of a recorded victim (a « signalement croisé », protection module).
  The first registered function that returns something holds the request; that object is returned
  to the caller instead of a protected address.
"""

from __future__ import annotations

from collections.abc import Callable

ADDRESS_PROTECTION_HOLDS: list[Callable[..., object | None]] = []


def register_address_protection_hold(func: Callable[..., object | None]) -> Callable:
    ADDRESS_PROTECTION_HOLDS.append(func)
    return func


def address_protection_hold(*, actor, person, reason: str, address: dict, elected: dict):
    for func in ADDRESS_PROTECTION_HOLDS:
        held = func(actor=actor, person=person, reason=reason, address=address, elected=elected)
        if held is not None:
            return held
    return None
