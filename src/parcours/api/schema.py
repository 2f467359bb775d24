"""The OpenAPI document states the rules the validation applies, from the same source.

drf-spectacular describes each field from the serializer; what JSON Schema can say beyond a field —
fields given all together or not at all (`pathways.imports.ALL_OR_NONE`), fields that need others
(`pathways.imports.NEEDS`) — is added here to the
`SeparationEvent` component. Values are read stripped, so "empty" means whitespace only: the pattern's
class covers what Python's `str.strip()` removes.
"""

from parcours.pathways import imports

_BLANK = r"^[\s\x1c-\x1f\x85]*$"
_FILLED = r"[^\s\x1c-\x1f\x85]"


def _all_or_none(fields: tuple[str, ...]) -> dict:
    return {
        "anyOf": [
            {"required": list(fields), "properties": {f: {"pattern": _FILLED} for f in fields}},
            {"properties": {f: {"pattern": _BLANK} for f in fields}},
        ]
    }


def _needs(field: str, others: tuple[str, ...]) -> dict:
    # A blank (or absent) `field`, or all of `others` filled.
    return {
        "anyOf": [
            {"properties": {field: {"pattern": _BLANK}}},
            {"required": list(others), "properties": {f: {"pattern": _FILLED} for f in others}},
        ]
    }


def _bound(array: dict) -> None:
    # The lists' bounds, from the serializer the view validates against (api.serializers_pathways).
    from parcours.api.serializers_pathways import event_list

    bounds = event_list()
    array["minItems"], array["maxItems"] = bounds.min_length, bounds.max_length


def add_cross_field_rules(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry (settings.SPECTACULAR_SETTINGS)."""
    schemas = result.get("components", {}).get("schemas", {})
    if "SeparationEvent" in schemas:
        schemas["SeparationEvent"]["allOf"] = [_all_or_none(group) for group in imports.ALL_OR_NONE] + [
            _needs(field, others) for field, others in imports.NEEDS
        ]
    if "SeparationEventBatch" in schemas:
        _bound(schemas["SeparationEventBatch"]["properties"]["events"])
    for variant in schemas.get("SeparationEventPayload", {}).get("oneOf", []):
        if variant.get("type") == "array":
            _bound(variant)
    return result
