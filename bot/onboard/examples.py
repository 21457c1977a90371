"""A valid sample body from a request schema: the spec's own example first, then a value per type.

Deterministic (no randomness), small (required fields, plus optional ones only when nothing
is required), and shaped by formats and names: an ``email`` is an address, a ``uuid`` a UUID,
``password`` a long string, ``enum`` its first value.
"""

from __future__ import annotations

from typing import Any

__all__ = ["example_for", "string_fields"]

MAX_DEPTH = 6
_FORMATS = {
    "email": "launchready-probe@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "password": "-".join(("launchready", "sample", "only")),  # long enough for minLength 8
    "ipv4": "192.0.2.1",
}


def example_for(schema: dict[str, Any] | None, name: str = "", depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    for key in ("example", "default", "const"):
        value = schema.get(key)
        # Some frameworks write default: {} on any optional field: not a sample of its type.
        if value is not None and not (value == {} and schema.get("type") != "object"):
            return value
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("allOf",):
        if isinstance(schema.get(key), list) and schema[key]:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for part in schema[key]:
                if isinstance(part, dict):
                    merged["properties"].update(part.get("properties") or {})
                    merged["required"] += part.get("required") or []
            return example_for(merged, name, depth + 1)
    for key in ("oneOf", "anyOf"):
        options = [
            o for o in schema.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"
        ]
        if options:
            return example_for(options[0], name, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):  # 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        properties = schema.get("properties") or {}
        required = [r for r in schema.get("required") or [] if r in properties]
        chosen = required or list(properties)[:4]
        return {key: example_for(properties[key], key, depth + 1) for key in chosen}
    if kind == "array":
        item = example_for(schema.get("items") or {}, name, depth + 1)
        return [item] if item is not None else []
    if kind == "integer":
        return max(int(schema.get("minimum", 1) or 1), 1)
    if kind == "number":
        return float(schema.get("minimum", 1) or 1)
    if kind == "boolean":
        return False
    if kind == "string" or kind is None:
        return _string(schema, name)
    return None


def _string(schema: dict[str, Any], name: str) -> str:
    fmt = str(schema.get("format") or "")
    lowered = name.lower()
    if fmt in _FORMATS:
        value = _FORMATS[fmt]
    elif "email" in lowered:
        value = _FORMATS["email"]
    elif "password" in lowered:
        value = _FORMATS["password"]
    elif lowered in ("url", "uri", "website", "link"):
        value = _FORMATS["url"]
    else:
        value = f"launchready {name or 'sample'}"
    low = int(schema.get("minLength") or 0)
    high = int(schema.get("maxLength") or 0)
    if len(value) < low:
        value += "x" * (low - len(value))
    if high and len(value) > high:
        value = value[:high]
    return value


def string_fields(schema: dict[str, Any] | None) -> list[str]:
    """The names of a schema's string properties, required ones first."""
    if not isinstance(schema, dict):
        return []
    properties = schema.get("properties") or {}
    names = [*(schema.get("required") or []), *properties]
    out = []
    for key in dict.fromkeys(names):
        prop = properties.get(key) or {}
        kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
        if "string" in kinds or any(
            isinstance(o, dict) and o.get("type") == "string" for o in prop.get("anyOf") or []
        ):
            out.append(key)
    return out
