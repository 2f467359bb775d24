"""How the authorization-matrix and canary tests build the records a URL points to.

Each module adds a `kinds_<module>.py` file beside this one with builders:

    @kind("household")
    def household(world, variant):      # variant: "own", "other", "restricted"
        return {"pk": world.household(variant).pk}

`variant` is a record of the principal's own department, of another department, or of the
own department but restricted to staff the principal is not among. A builder returns None
for a variant that does not apply to its kind (accounts have no department variant). URLs without a record but
with arguments (tokens…) register sample arguments with `@url_kwargs("namespace:name")`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

KINDS: dict[str, Callable] = {}
KIND_VARIANTS: dict[str, tuple[str, ...]] = {}
URL_KWARGS: dict[str, Callable] = {}
OUTPUTS: list[Callable] = []
VARIANTS = ("own", "other", "restricted")
# A record of another department that the whole branch shares (a published practice): only the kinds
# that declare it are built with it; URLs with `Access(branch=True)` open it, the others answer 404.
SHARED = "shared"


def kind(name: str, *, variants: tuple[str, ...] = VARIANTS):
    def decorator(func):
        KINDS[name] = func
        KIND_VARIANTS[name] = variants
        return func

    return decorator


def variants_of(name: str) -> tuple[str, ...]:
    return KIND_VARIANTS.get(name, VARIANTS)


def url_kwargs(url_name: str):
    def decorator(func):
        URL_KWARGS[url_name] = func
        return func

    return decorator


def output(func):
    """Register an output for the canary test: (world, principal) -> iterable of (label, text or bytes).

    Documents, exports, messages, API payloads that are not plain GET pages go here (`outputs_*.py`).
    """
    OUTPUTS.append(func)
    return func


def urls_on_records(world, name: str, access):
    """The URLs of one pattern: on each record variant the world builds, or with its sample arguments."""
    from django.urls import reverse

    if access.obj:
        for variant in variants_of(access.obj):
            kwargs = KINDS[access.obj](world, variant)
            if kwargs is not None:
                yield reverse(name, kwargs=kwargs)
    else:
        yield reverse(name, kwargs=URL_KWARGS[name](world) if name in URL_KWARGS else {})


def load_all() -> None:
    package = importlib.import_module("tests.authz")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith(("kinds_", "outputs_")):
            importlib.import_module(f"tests.authz.{module.name}")
