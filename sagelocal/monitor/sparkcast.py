"""The numbers Deequ's numeric pass sees: numeric text typed by Deequ's regexes, then cast by Spark.

Deequ types each value with its regexes (:mod:`dtypes`), then casts an Integral column to Spark's LongType and
a Fractional one to DoubleType; what the cast makes null is left out of every numeric statistic and the KLL
sketch. Of the texts the regexes accept, Spark nulls a sign followed by a space (``"- 5"``) in both casts
(``Long.parseLong``-like and ``Double.parseDouble`` both stop at the space) and, in the long cast only, an integer
outside the 64-bit range. A space without a sign (``" 5"``) is trimmed and parses. ``"1e999"`` casts to infinity.

:func:`plain_numbers` is the fast path for the common case, every value plain decimal text: pyarrow's float
parser then reads each value as Spark does, and the type of each value follows from its bytes.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagelocal.monitor import dtypes
from sagelocal.monitor.arrays import float_values, text_bytes, text_offsets

_LONG_LIMIT = 2.0 ** 63  # floats at or beyond it may be outside Spark's long range: checked exactly
_DOT, _FIRST_LETTER = ord("."), ord("A")  # in a parsed number, every byte below "A" is a digit, sign or dot
_SCAN_BYTES = 1 << 20


def plain_numbers(values: pa.Array):
    """``(type counts, numbers)`` for null-free text whose every value is plain decimal, or None otherwise.

    pyarrow's float parser accepts every value Deequ calls a number, except those with a space, and a few it
    does not: ``".5"``, ``"5."``, ``"-.5"``, exponents on those, ``"nan"``, ``"inf"``. Without letters (so without
    exponents, which only the regexes split, nor nan/inf), a parsed value is digits with at most one leading sign
    and at most one dot, and the dot lacks a digit on a side only when it is first, last or after the sign; a
    value is Fractional exactly when it holds a dot. None also when an all-Integral array holds a value that
    Spark's long cast might null (beyond 2**63): the exact path decides those.
    """
    try:
        numbers = float_values(pc.cast(values, pa.float64()))
    except pa.ArrowInvalid:
        return None
    offsets, data = text_offsets(values), text_bytes(values)
    if not len(data) or data.max() >= _FIRST_LETTER or not np.isfinite(numbers.sum()):
        return None
    dots, dot_after_sign = _scan(data)
    if dots:
        first, last = offsets[:-1] - offsets[0], offsets[1:] - offsets[0] - 1  # no value is empty: all parsed
        if dot_after_sign or (data[first] == _DOT).any() or (data[last] == _DOT).any():
            return None
    elif max(numbers.max(), -numbers.min()) >= _LONG_LIMIT:
        return None
    return {dtypes.INTEGRAL: len(values) - dots, dtypes.FRACTIONAL: dots}, numbers


def _scan(data: np.ndarray) -> tuple:
    """``(number of dots, whether a dot follows a sign)`` in text bytes that are digits, signs and dots.

    In slices, so the comparisons' temporaries stay small; consecutive slices share a byte, so no pair is missed.
    """
    dots, after_sign = 0, False
    for start in range(0, len(data), _SCAN_BYTES):
        piece = data[start:start + _SCAN_BYTES + 1]
        is_dot = piece == _DOT
        dots += int(np.count_nonzero(is_dot[:-1] if start + _SCAN_BYTES < len(data) else is_dot))
        after_sign = after_sign or bool((is_dot[1:] & (piece[:-1] < _DOT)).any())  # '+' and '-' sort before '.'
    return dots, after_sign


def spark_numbers(text: pa.Array) -> tuple:
    """``(numbers, wide)`` from the values of ``text`` that Deequ's regexes call numbers, cast as Spark does.

    ``wide`` holds Integral values outside the 64-bit range: kept by the double cast of a Fractional column,
    nulled by the long cast of an Integral one, so the caller decides once the column's type is known.
    """
    numeric = pc.filter(text, dtypes.numeric_mask(text))
    numeric = pc.filter(numeric, pc.invert(pc.match_substring_regex(numeric, r"^[-+] ")))
    numeric = pc.utf8_ltrim_whitespace(numeric)
    numbers = float_values(pc.cast(numeric, pa.float64()))
    candidates = np.flatnonzero(np.abs(numbers) >= _LONG_LIMIT)
    wide = np.zeros(len(numbers), dtype=bool)
    for row in candidates.tolist():
        text_value = numeric[row].as_py()
        if dtypes.is_integral_text(text_value) and not -2 ** 63 <= int(text_value) < 2 ** 63:
            wide[row] = True
    return numbers[~wide], numbers[wide]

