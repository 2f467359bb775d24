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
import threading
from collections.abc import Callable

from django.conf import settings
from django.utils.safestring import mark_safe

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


# --- whole pages, with holes ---------------------------------------------------------------------
#
# The registration form's page is the same for every visitor of a session but for two holes: the
# CSRF token (each visitor's own) and the seats left (live). It is rendered once with markers in
# the holes, kept under a digest of what it shows, and each GET fills the holes in: no template
# runs. Pages are kept in this process's memory only, never in a shared cache: a deployment (new
# templates, new static file names) starts with none.

CSRF_HOLE = "csrf-hole-5b0e1f0c9d"
SEATS_HOLE = "seats-hole-5b0e1f0c9d"
PAGES_KEPT = 512  # sessions open at once in a campaign, with room to spare (about 12 kB each)
_pages: dict[str, str] = {}
_pages_lock = threading.Lock()


def page_key(name: str, workshop) -> str:
    """What a session's page shows: its description, its form's fields, and the settings it reads."""
    return _digest(
        name, workshop_key(workshop), form_key(workshop), settings.PARCOURS_QUICK_EXIT_URL, settings.DEMO_MODE
    )


def page(key: str, render: Callable[[], str]) -> str:
    """The page kept under `key`, rendered (with its holes) by `render()` the first time."""
    html = _pages.get(key)
    if html is None:
        html = render()
        with _pages_lock:
            while len(_pages) >= PAGES_KEPT:  # the oldest first: a changed session left its old key
                _pages.pop(next(iter(_pages)))
            _pages[key] = html
    return html


def forget_pages() -> None:
    with _pages_lock:
        _pages.clear()


def seats_text(workshop) -> str:
    """The seats left, as every page of the session shows them (a number and fixed words: safe HTML)."""
    n = workshop.seats_left
    if not n:
        return mark_safe("Complet : inscription possible sur la liste d'attente")  # noqa: S308
    s = "s" if n > 1 else ""
    return mark_safe(f"{int(n)} place{s} restante{s}")  # noqa: S308
