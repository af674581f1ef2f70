"""The numbers Deequ's numeric pass sees: numeric text typed by Deequ's regexes, then cast by Spark.

Deequ types each value with its regexes (:mod:`dtypes`), then casts an Integral column to Spark's LongType and
a Fractional one to DoubleType; what the cast makes null is left out of every numeric statistic and the KLL
sketch. Of the texts the regexes accept, Spark nulls a sign followed by a space (``"- 5"``) in both casts
(``Long.parseLong``-like and ``Double.parseDouble`` both stop at the space) and, in the long cast only, an integer
outside the 64-bit range. A space without a sign (``" 5"``) is trimmed and parses. ``"1e999"`` casts to infinity.

:func:`plain_numbers` is the fast path for the common case, every value plain decimal text (``[+-]?\d+(\.\d+)?``):
one compiled loop parses each value as Spark does, and the type of each value follows from its bytes.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagelocal.monitor import _kernels, dtypes
from sagelocal.monitor.arrays import float_values, int64_array, text_offsets

_LONG_LIMIT = 2.0 ** 63  # floats at or beyond it may be outside Spark's long range: checked exactly


def plain_numbers(values: pa.Array):
    """``(type counts, numbers)`` for null-free text whose every value is plain decimal, or None otherwise.

    Plain decimal text is Deequ's number syntax without the space after the sign and without exponents: a value
    is Fractional exactly when it holds a dot, and Spark's casts read it as the correctly rounded double. The
    few values whose digits one division cannot round correctly (more than 19, or beyond 2**53) are parsed
    by pyarrow. None also when an all-Integral array holds a value that Spark's long cast might null (beyond
    2**63), or a value too long to be finite: the exact path decides those.
    """
    numbers = np.empty(len(values), dtype=np.float64)
    data = values.buffers()[2]
    fractional = _kernels.parse_decimals(text_offsets(values), b"" if data is None else data, numbers)
    if fractional is None:
        return None
    inexact = np.isnan(numbers)
    if inexact.any():
        numbers[inexact] = float_values(pc.cast(values.take(int64_array(np.flatnonzero(inexact))), pa.float64()))
        if not np.isfinite(numbers[inexact]).all():
            return None
    if not fractional and len(numbers) and max(numbers.max(), -numbers.min()) >= _LONG_LIMIT:
        return None
    return {dtypes.INTEGRAL: len(values) - fractional, dtypes.FRACTIONAL: fractional}, numbers


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

