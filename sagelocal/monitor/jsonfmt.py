"""JSON text as Model Monitor (Scala, Jackson's default pretty printer) writes it.

Layout: ``"key" : value``, 2-space indent, objects inside arrays as ``[ {`` … ``}, {`` … ``} ]``, arrays of
scalars (and of scalar arrays) on one line ``[ 3.0, 1.0 ]``, no trailing newline. Numbers: Python ``int`` stays
an integer, ``float`` is printed like Java's ``Double.toString`` (always a fraction digit, ``E`` notation
outside [1e-3, 1e7)), except NaN and infinities: Jackson's ``WRITE_NAN_AS_STRINGS`` (on by default) writes them
as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, as AWS's model-quality statistics show
(``"standard_deviation" : "NaN"``), so every file stays strict JSON.
"""
from __future__ import annotations

import json
import math

import numpy as np


def java_double(value: float) -> str:
    """Format a float as Java's ``Double.toString`` does (with Python's shortest round-trip digits).

    Examples
    --------
    >>> java_double(2048.0), java_double(38000000.0), java_double(0.0001)
    ('2048.0', '3.8E7', '1.0E-4')
    """
    text = repr(value)
    if "e" not in text and (1e-3 <= abs(value) < 1e7):
        return text  # Python and Java agree in this range (Python only switches to E form outside it)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(magnitude)
    if 1e-3 <= magnitude < 1e7:
        point = exponent + 1  # position of the decimal point within the digit string
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}.0"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    fraction = digits[1:] or "0"
    return f"{sign}{digits[0]}.{fraction}E{exponent}"


def _shortest_digits(magnitude: float) -> tuple:
    """Significant digits of ``repr`` (the shortest round-trip form) and the decimal exponent of the first."""
    body, _, exp_text = repr(magnitude).partition("e")
    whole, _, frac = body.partition(".")
    digits = whole + frac
    stripped = digits.lstrip("0")
    exponent = int(exp_text or 0) + len(whole) - 1 - (len(digits) - len(stripped))
    return stripped.rstrip("0"), exponent


def _json_double(value: float) -> str:
    """A float as Jackson writes it: Java's text, quoted when not finite."""
    return java_double(value) if math.isfinite(value) else f'"{java_double(value)}"'


def _json_doubles(values: list):
    """JSON texts of many floats: plain ``repr`` when every magnitude is in Java's decimal range."""
    magnitudes = np.abs(np.asarray(values))
    if np.all(((magnitudes >= 1e-3) & (magnitudes < 1e7)) | (magnitudes == 0)):
        return map(repr, values)  # Python's repr equals Java's Double.toString in this range (-0.0 included)
    return map(_json_double, values)


def dumps(value, indent: int = 0) -> str:
    """Serialize ``value`` (dict/list/str/int/float/bool/None) as Jackson's pretty printer would."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{ }"
        inner = ",\n".join(f'{pad}  {json.dumps(key)} : {dumps(item, indent + 1)}' for key, item in value.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[ ]"
        if all(type(item) is float for item in value):
            return "[ " + ", ".join(_json_doubles(value)) + " ]"
        return "[ " + ", ".join(dumps(item, indent) for item in value) + " ]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_double(value)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)
