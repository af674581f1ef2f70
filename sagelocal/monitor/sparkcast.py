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
from sagelocal.monitor.arrays import float_values

_LONG_LIMIT = 2.0 ** 63  # floats at or beyond it may be outside Spark's long range: checked exactly
_DIGITS = np.zeros(256, dtype=bool)
_DIGITS[ord("0"):ord("9") + 1] = True


def plain_numbers(values: pa.Array):
    """``(type counts, numbers)`` for null-free text whose every value is plain decimal, or None otherwise.

    pyarrow's float parser accepts every value Deequ calls a number, except those with a space, and a few it
    does not: ``".5"``, ``"5."``, ``"-.5e3"``, ``"nan"``, ``"inf"``. Those have a dot without a digit on each side
    or are not finite, so without them (and without exponents, which only the regexes split) a value is
    Fractional exactly when it holds a dot (at most one, or it would not parse). None also when an all-Integral
    array holds a value that Spark's long cast might null (beyond 2**63): the exact path decides those.
    """
    try:
        numbers = float_values(pc.cast(values, pa.float64()))
    except pa.ArrowInvalid:
        return None
    data = _text_bytes(values)
    if not np.isfinite(numbers.sum()) or (data == ord("e")).any() or (data == ord("E")).any():
        return None
    dots = np.flatnonzero(data == ord("."))
    if len(dots):
        offsets = _offsets(values) - _offsets(values)[0]
        boundary = np.zeros(len(data) + 1, dtype=bool)
        boundary[offsets] = True  # first byte of a value, and one past the last byte
        if (boundary[dots] | boundary[dots + 1] | ~_DIGITS[data[dots - 1]] | ~_DIGITS[data[dots + 1]]).any():
            return None
    elif len(numbers) and np.abs(numbers).max() >= _LONG_LIMIT:
        return None
    return {dtypes.INTEGRAL: len(values) - len(dots), dtypes.FRACTIONAL: len(dots)}, numbers


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


def _offsets(values: pa.Array) -> np.ndarray:
    return np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]


def _text_bytes(values: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of the values, back to back, with one zero byte after them (a dot may end the text)."""
    offsets = _offsets(values)
    buffer = values.buffers()[2]
    data = np.frombuffer(buffer, dtype=np.uint8)[offsets[0]:offsets[-1]] if buffer is not None else []
    return np.concatenate([data, np.zeros(1, dtype=np.uint8)])
