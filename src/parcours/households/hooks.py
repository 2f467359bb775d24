"""What other modules tell the households module (registered at start-up from their `ready()`).

The households module does not know the protection module (which depends on it); the safety rules
that must hold for every door of a household write plug in here:

- `address_protection_hold(actor, person, reason, address, elected) -> object | None`: a request to
  protect a person's address may be held for a human decision instead of being applied — the
  person is the other parent of a recorded victim (a « signalement croisé », protection module).
  The first registered function that returns something holds the request; that object is returned
  to the caller instead of a protected address.
- `limitation_hook(actor, person, limited, reason, now)`: modules that hold work about a person pause
  it while her processing is limited (pathways: her steps, deadlines frozen) and resume it when the
  limitation is lifted; called in the limitation's transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

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


LIMITATION_HOOKS: list[Callable[..., None]] = []


def register_limitation_hook(func: Callable[..., None]) -> Callable:
    LIMITATION_HOOKS.append(func)
    return func


def processing_limitation_changed(*, actor, person, limited: bool, reason: str) -> None:
    for func in LIMITATION_HOOKS:
        func(actor=actor, person=person, limited=limited, reason=reason, now=timezone.now())
