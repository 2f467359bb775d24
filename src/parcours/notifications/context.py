"""Message context: plain values only (ids, text, numbers, dates), stored as JSON and given back typed.

Dates and times keep their type through the database, so templates can write
`{{ starts_at|date:"j F Y à H\\hi" }}` and get the department's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_TAGS = {"$datetime": datetime.fromisoformat, "$date": date.fromisoformat, "$time": time.fromisoformat}


def encode(value: Any, path: str = "context") -> Any:
    """JSON-ready copy of `value`; a model instance or any other object is a programming error."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError(f"{path} : une date et heure de message doit être « aware » (fuseau horaire).")
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [encode(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise TypeError(f"{path} : clé de contexte invalide {key!r}.")
            encoded[key] = encode(item, f"{path}.{key}")
        return encoded
    raise TypeError(
        f"{path} : {type(value).__name__} n'est pas une valeur simple ; passez un identifiant ou un texte "
        "(le contexte d'un message ne contient pas d'objets)."
    )


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, raw),) = value.items()
            if tag in _TAGS:
                return _TAGS[tag](raw)
        return {key: decode(item) for key, item in value.items()}
    return value


def walk(value: Any, path: str = ""):
    """(key path, key, value) of every leaf of a decoded context, for the structural checks."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                yield from walk(item, f"{path}.{key}" if path else key)
            else:
                yield (f"{path}.{key}" if path else key), key, item
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                yield from walk(item, f"{path}[{index}]")
            else:
                # A list of ids under a key "..._person_ids" is checked by its parent key.
                yield f"{path}[{index}]", path.rsplit(".", 1)[-1], item
