"""Deequ 2.0.2's data-type inference (``DataType`` analyzer): per-value regexes, then a column rule."""
from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from sagelocal.monitor.arrays import count_where, text_array

# Deequ's per-value patterns are FRACTIONAL ^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$, INTEGRAL
# ^(-|\+)? ?\d+$ and BOOLEAN ^(true|false)$. The same sets, for fewer passes over the values: NUMERIC (either
# number: Fractional's tail made optional), INTEGRAL among those, and Boolean as an exact match (RE2's ``$`` is
# the end of the text), a hash lookup that costs a quarter of a regex.
NUMERIC_PATTERN = r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))?$"
INTEGRAL_PATTERN = r"^(-|\+)? ?\d+$"
_BOOLEAN_TEXTS = text_array(("true", "false"))

INTEGRAL, FRACTIONAL, BOOLEAN, STRING, UNKNOWN = "Integral", "Fractional", "Boolean", "String", "Unknown"
VALUE_TYPES = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING)
NUMERIC_TYPES = (INTEGRAL, FRACTIONAL)


def classify_text(values: pa.Array, counts: pa.Array) -> dict:
    """Count string values by Deequ value type, each value weighted by ``counts``.

    Returns
    -------
    dict
        ``{"Integral": n, "Fractional": n, "Boolean": n, "String": n}``.
    """
    numeric = numeric_mask(values)
    number_counts = pc.filter(counts, numeric)
    integral = count_where(pc.match_substring_regex(pc.filter(values, numeric), INTEGRAL_PATTERN), number_counts)
    fractional = (pc.sum(number_counts).as_py() or 0) - integral
    boolean = count_where(pc.is_in(values, _BOOLEAN_TEXTS), counts)
    return {INTEGRAL: integral, FRACTIONAL: fractional, BOOLEAN: boolean,
            STRING: (pc.sum(counts).as_py() or 0) - integral - fractional - boolean}


def is_integral_text(value: str) -> bool:
    """True when one string is Integral text."""
    return re.fullmatch(INTEGRAL_PATTERN.strip("^$"), value, re.ASCII) is not None


def numeric_mask(values: pa.Array) -> pa.Array:
    """True where a string value is Integral or Fractional text (null where the value is null)."""
    return pc.match_substring_regex(values, NUMERIC_PATTERN)


def column_type(counts: dict) -> str:
    """Deequ's column rule over value-type counts.

    All null ⇒ Unknown; any String, or Boolean mixed with numbers ⇒ String; only Boolean ⇒ Boolean;
    any Fractional ⇒ Fractional; otherwise Integral.
    """
    if not any(counts.get(kind, 0) for kind in VALUE_TYPES):
        return UNKNOWN
    numeric = counts.get(INTEGRAL, 0) + counts.get(FRACTIONAL, 0)
    if counts.get(STRING, 0) or (counts.get(BOOLEAN, 0) and numeric):
        return STRING
    if counts.get(BOOLEAN, 0):
        return BOOLEAN
    return FRACTIONAL if counts.get(FRACTIONAL, 0) else INTEGRAL


def matching_count(counts: dict, expected: str) -> int:
    """Present values that satisfy a constraint's ``inferred_type`` (Integral values also satisfy Fractional)."""
    if expected == FRACTIONAL:
        return counts.get(INTEGRAL, 0) + counts.get(FRACTIONAL, 0)
    return counts.get(expected, 0)
