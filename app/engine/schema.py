"""The JSON Schema subset Fieldscribe's templates use, and a validator for it.

llama.cpp's grammar keeps the model's output close to the schema, but the grammar does not enforce
everything (e.g. some patterns) and output can be cut off, so every parsed answer is checked here.
A schema that uses a keyword outside the subset is refused up front rather than silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.errors import BadInput

_TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}
_CONSTRAINTS = {
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
}
_ANNOTATIONS = {"$schema", "$id", "title", "description", "format", "examples", "default"}


def check_schema(schema: Mapping[str, Any], where: str = "the schema") -> None:
    """Raise BadInput if `schema` uses anything outside the supported subset."""
    if not isinstance(schema, Mapping):
        raise BadInput(f"{where} is not a JSON object.")
    for keyword in schema:
        if keyword.startswith("x-"):  # vendor annotations, e.g. a template's label synonyms
            continue
        if keyword not in _CONSTRAINTS and keyword not in _ANNOTATIONS:
            raise BadInput(f"{where} uses '{keyword}', which Fieldscribe does not support.")
    types = schema.get("type", [])
    for name in [types] if isinstance(types, str) else types:
        if name not in _TYPE_CHECKS:
            raise BadInput(f"{where} has an unknown type {name!r}.")
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except (re.error, TypeError):
            raise BadInput(f"{where} has a pattern that is not a valid expression.") from None
    for name, child in schema.get("properties", {}).items():
        check_schema(child, f"{where} property '{name}'")
    if isinstance(schema.get("additionalProperties"), Mapping):
        check_schema(schema["additionalProperties"], f"{where} additionalProperties")
    if "items" in schema:
        check_schema(schema["items"], f"{where} items")


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as short descriptions naming the JSON path."""
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_TYPE_CHECKS[name](value) for name in allowed):
            return [f"{path} is not of type {' or '.join(allowed)}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path} is not one of {schema['enum']}")
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{path} is longer than {schema['maxLength']} characters")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path} is shorter than {schema['minLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path} does not match the pattern {schema['pattern']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path} is more than {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path} has fewer than {schema['minItems']} items")
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path} has more than {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                errors += schema_errors(item, schema["items"], f"{path}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        missing = [key for key in schema.get("required", ()) if key not in value]
        errors += [f"{path}.{key} is missing" for key in missing]
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(item, properties[key], f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}.{key} is not allowed")
            elif isinstance(extra, Mapping):
                errors += schema_errors(item, extra, f"{path}.{key}")
    return errors
