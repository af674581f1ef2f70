"""Deequ 2.0.2's data-type inference (``DataType`` analyzer): per-value regexes, then a column rule."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FRACTIONAL_PATTERN = r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$"
INTEGRAL_PATTERN = r"^(-|\+)? ?\d+$"
BOOLEAN_PATTERN = r"^(true|false)$"

INTEGRAL, FRACTIONAL, BOOLEAN, STRING, UNKNOWN = "Integral", "Fractional", "Boolean", "String", "Unknown"
VALUE_TYPES = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING)
NUMERIC_TYPES = (INTEGRAL, FRACTIONAL)


def classify_text(values: pa.Array, counts: np.ndarray) -> dict:
    """Count string values by Deequ value type, each value weighted by ``counts``.

    Returns
    -------
    dict
        ``{"Integral": n, "Fractional": n, "Boolean": n, "String": n}``.
    """
    integral = _weighted(pc.match_substring_regex(values, INTEGRAL_PATTERN), counts)
    fractional = _weighted(pc.match_substring_regex(values, FRACTIONAL_PATTERN), counts)
    boolean = _weighted(pc.match_substring_regex(values, BOOLEAN_PATTERN), counts)
    return {INTEGRAL: integral, FRACTIONAL: fractional, BOOLEAN: boolean,
            STRING: int(counts.sum()) - integral - fractional - boolean}


def numeric_mask(values: pa.Array) -> pa.Array:
    """True where a string value is Integral or Fractional text (null where the value is null)."""
    return pc.or_(pc.match_substring_regex(values, INTEGRAL_PATTERN),
                  pc.match_substring_regex(values, FRACTIONAL_PATTERN))


def _weighted(mask: pa.Array, counts: np.ndarray) -> int:
    return int(counts[mask.to_numpy(zero_copy_only=False).astype(bool)].sum())


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
