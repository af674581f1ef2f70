"""Deequ's approximate distinct count, bit for bit: HyperLogLog++ at precision 9 over XxHash64 (seed 42).

Deequ's ``ApproxCountDistinct`` (``StatefulHyperloglogPlus``) hashes each value with Spark's
``XxHash64Function`` (seed 42): a string's UTF-8 bytes, a long's 8 bytes, a double's IEEE bits, a boolean as
the int 1 or 0. The top 9 bits of the hash pick one of 512 registers, the leading zeros of the rest (plus one)
are the register's candidate; the registers keep the maximum, so sketches merge by element-wise maximum and
hashing each distinct value once gives the same registers as hashing every row. ``estimate`` is Deequ's
``DeequHyperLogLogPlusPlusUtils.count``: linear counting while it is at most 400, else the raw HyperLogLog
estimate minus the HLL++ bias interpolated from :mod:`hll_bias`.

One departure: Deequ weighs a register ``r`` by ``1.0 / (1 << r)`` with a 32-bit shift, wrong for ``r >= 31``;
here it is ``2**-r``. A register reaches 31 with probability about 2**-30 per distinct value.
"""
from __future__ import annotations

import bisect
import math

import numpy as np

from sagelocal.monitor import _kernels
from sagelocal.monitor.arrays import text_offsets
from sagelocal.monitor.hll_bias import BIASES, LINEAR_COUNTING_THRESHOLD, RAW_ESTIMATES

PRECISION = 9
REGISTERS = 1 << PRECISION
SEED = 42
_NEIGHBOURS = 6  # Deequ HLLConstants.K: bias points averaged
_ALPHA_M2 = (0.7213 / (1.0 + 1.079 / REGISTERS)) * REGISTERS * REGISTERS


def empty() -> np.ndarray:
    """Registers of an empty sketch."""
    return np.zeros(REGISTERS, dtype=np.uint8)


def add_text(registers: np.ndarray, values) -> None:
    """Add the strings of a pyarrow string array (no nulls) to ``registers``, hashing their UTF-8 bytes."""
    add_hashes(registers, text_hashes(values))


def add_fixed(registers: np.ndarray, values: np.ndarray) -> None:
    """Add fixed-width numbers: int64 as Spark's long, float64 as its IEEE bits (one NaN), bool as int 1/0."""
    if values.dtype == np.bool_:
        values = values.astype(np.int32)
    elif values.dtype.kind == "f":
        values = np.where(np.isnan(values), np.nan, values.astype(np.float64))  # doubleToLongBits: one NaN
    else:
        values = values.astype(np.int64)
    hashes = np.empty(len(values), dtype=np.uint64)
    _kernels.xxh64_fixed(np.ascontiguousarray(values), values.dtype.itemsize, SEED, hashes)
    add_hashes(registers, [hashes])


def add_hashes(registers: np.ndarray, blocks) -> None:
    """Fold blocks of 64-bit hashes into ``registers``.

    The top 9 bits of a hash pick the register; its candidate is the number of leading zeros plus one of
    ``w = (hash << 9) | 1 << 8`` (Deequ's padding); a register keeps its largest candidate.
    """
    for block in blocks:
        _kernels.fold_registers(registers, block)


def text_hashes(values, seed: int = SEED):
    """XxHash64 (Spark's ``XXH64.hashUnsafeBytes``) of each value's bytes of a pyarrow string or binary array.

    Yields the hashes, in the array's order, as one uint64 block.
    """
    hashes = np.empty(len(values), dtype=np.uint64)
    data = values.buffers()[2]
    _kernels.xxh64_text(text_offsets(values), b"" if data is None else data, seed, hashes)
    yield hashes


def estimate(registers: np.ndarray) -> int:
    """Deequ's distinct-count estimate from the registers (``DeequHyperLogLogPlusPlusUtils.count``)."""
    # Summed left to right as Deequ does (cumsum is sequential), so the estimate rounds as Deequ's does.
    z_inverse = float(np.cumsum(np.ldexp(1.0, -registers.astype(np.int64)))[-1])
    empty_registers = int(np.count_nonzero(registers == 0))
    raw = _ALPHA_M2 / z_inverse
    if empty_registers:
        linear = REGISTERS * math.log(REGISTERS / empty_registers)
        if linear <= LINEAR_COUNTING_THRESHOLD:
            return math.floor(linear + 0.5)  # Java's Math.round
    if raw < 5.0 * REGISTERS:
        raw -= _bias(raw)
    return math.floor(raw + 0.5)


def _bias(raw: float) -> float:
    """Mean bias of the ``_NEIGHBOURS`` table points nearest ``raw`` (Deequ's ``estimateBias``)."""
    nearest = bisect.bisect_left(RAW_ESTIMATES, raw)
    low = max(nearest - _NEIGHBOURS + 1, 0)
    high = min(low + _NEIGHBOURS, len(RAW_ESTIMATES))
    while high < len(RAW_ESTIMATES) and (raw - RAW_ESTIMATES[high]) ** 2 < (raw - RAW_ESTIMATES[low]) ** 2:
        low += 1
        high += 1
    total = 0.0
    for bias in BIASES[low:high]:
        total += bias
    return total / (high - low)
