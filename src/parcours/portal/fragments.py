"""Keys of the public pages' cached fragments (the session list, the registration form's fields).

A key is a digest of every value the fragment shows: each column of the rows it was rendered from
(the session, its department, its venue), what the clock decides (registrations open or closed)
and the settings it reads. A change of the session or of its venue makes a new key — for every
server process at once, whoever made the change (a service, the admin, a migration) — so no
service has to remember to invalidate anything, and a stale fragment cannot be served. The seats
left change with every registration: they are rendered live, outside the fragments. The HTML
lives in the `fragments` cache (each process's memory by default): only the rendering is saved,
the row is still read on every request (one query, which the page needs anyway). The CSRF token
and the bound form of a POST with errors are never cached.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

# Bump when a cached template changes in a way its data does not show (a shared cache, e.g.
# Redis, keeps fragments across deployments; each process's own memory does not).
VERSION = 1


def _row(obj) -> tuple:
    if obj is None:
        return ()
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def _digest(*parts) -> str:
    return hashlib.sha256(repr((VERSION, *parts)).encode()).hexdigest()[:32]


def workshop_key(workshop) -> str:
    """What a session's description shows: its row (but the seats, always rendered live, so that a
    registration — the frequent change — leaves it cached), its department's and venue's rows."""
    return _digest(
        [
            v
            for f, v in zip(workshop._meta.concrete_fields, _row(workshop), strict=True)
            if f.name != "seats_taken"
        ],
        _row(workshop.department),
        _row(workshop.venue),
    )


def form_key(workshop) -> str:
    """The registration form's empty fields: only the party sizes vary, with the capacity and the setting."""
    return _digest("registration-form", workshop.capacity, settings.PARCOURS_WORKSHOP_MAX_PARTY)
