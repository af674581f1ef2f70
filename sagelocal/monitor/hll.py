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
import pyarrow.compute as pc

from sagelocal.monitor.arrays import int_values, text_bytes
from sagelocal.monitor.hll_bias import BIASES, LINEAR_COUNTING_THRESHOLD, RAW_ESTIMATES

PRECISION = 9
REGISTERS = 1 << PRECISION
SEED = 42
_NEIGHBOURS = 6  # Deequ HLLConstants.K: bias points averaged
_ALPHA_M2 = (0.7213 / (1.0 + 1.079 / REGISTERS)) * REGISTERS * REGISTERS
_MASK = (1 << 64) - 1
_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                           0x27D4EB2F165667C5)
_U = {name: np.uint64(value) for name, value in (("P1", _P1), ("P2", _P2), ("P3", _P3), ("P4", _P4), ("P5", _P5))}
_LOW_53 = np.uint64((1 << 53) - 1)
_BLOCK = 1 << 15  # values hashed per step: their temporaries stay in the CPU cache


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
    add_hashes(registers, _span_hashes(np.ascontiguousarray(values).view(np.uint8), 0, len(values),
                                       values.dtype.itemsize, SEED))


def add_hashes(registers: np.ndarray, blocks) -> None:
    """Fold blocks of 64-bit hashes into ``registers``.

    The top 9 bits of a hash pick the register; its candidate is the number of leading zeros plus one of
    ``w = (hash << 9) | 1 << 8`` (Deequ's padding). ``w >> 11`` is the 55 low hash bits without their last 2;
    below 2**53 it converts to a float exactly, whose exponent field ``e`` gives the candidate ``1076 - e``.
    Only when those 53 bits are all 0 (``e == 0``, chance 2**-53) is it counted one by one.
    """
    seen = np.zeros(REGISTERS * 64, dtype=bool)  # seen[register * 64 + candidate]
    for block in blocks:
        exponent = ((block >> np.uint64(2)) & _LOW_53).view(np.int64).astype(np.float64).view(np.int64) >> 52
        keys = ((block >> np.uint64(64 - PRECISION)) << np.uint64(6)).view(np.int64) + (1076 - exponent)
        zero = exponent == 0
        if zero.any():
            keys[zero] = [_key(int(value)) for value in block[zero]]
        seen[keys] = True
    rows = seen.reshape(REGISTERS, 64)
    highest = np.where(rows.any(axis=1), 63 - np.argmax(rows[:, ::-1], axis=1), 0).astype(np.uint8)
    np.maximum(registers, highest, out=registers)


def _key(value: int) -> int:
    """``register * 64 + candidate`` of one hash, in Python integers."""
    padded = (value << PRECISION | 1 << (PRECISION - 1)) & _MASK
    return (value >> (64 - PRECISION)) * 64 + 65 - padded.bit_length()


def text_hashes(values, seed: int = SEED):
    """XxHash64 (Spark's ``XXH64.hashUnsafeBytes``) of each value's bytes of a pyarrow string or binary array.

    Yields blocks of hashes grouped by value length (the registers do not depend on order): the values are
    taken in that order, so each group's bytes lie back to back at a fixed stride and every step of the
    algorithm is one numpy operation over a block of the group, with no per-value gather.
    """
    lengths = pc.binary_length(values)
    sizes = np.bincount(int_values(lengths, np.int32))
    if np.count_nonzero(sizes) > 1:
        values = values.take(pc.sort_indices(lengths))  # stable; a counting sort over few lengths
    data, start = text_bytes(values), 0
    for length in np.flatnonzero(sizes).tolist():
        yield from _span_hashes(data, start, int(sizes[length]), length, seed)
        start += int(sizes[length]) * length


def _span_hashes(data: np.ndarray, start: int, count: int, length: int, seed: int):
    """Blocks of XxHash64 of ``count`` spans of ``length`` bytes laid back to back from ``data[start]``."""
    for first in range(0, count, _BLOCK):
        size = min(_BLOCK, count - first)
        begin, end = start + first * length, start + (first + size) * length
        if end + 8 <= len(data):
            yield _Block(data, begin, size, length).hash(seed)
        else:  # the last spans: their word reads would run past the data, so they read from a padded copy
            padded = np.zeros(end - begin + 8, dtype=np.uint8)
            padded[:end - begin] = data[begin:end]
            yield _Block(padded, 0, size, length).hash(seed)


class _Block:
    """One block of equal-length spans; ``word(offset)`` reads the 8 bytes at ``offset`` of every span."""

    def __init__(self, padded: np.ndarray, start: int, count: int, length: int):
        self.padded, self.start, self.count, self.length = padded, start, count, length
        self.scratch = np.empty(count, dtype=np.uint64)

    def word(self, offset: int) -> np.ndarray:
        # An unaligned view with the spans' stride, copied once into an aligned array.
        return np.ndarray((self.count,), "<u8", self.padded, self.start + offset, (self.length,)).copy()

    def rotl_mul(self, x: np.ndarray, bits: int, prime: np.uint64) -> None:
        """``x = rotl(x, bits) * prime`` in place."""
        np.left_shift(x, np.uint64(bits), out=self.scratch)
        np.right_shift(x, np.uint64(64 - bits), out=x)
        x |= self.scratch
        x *= prime

    def round(self, accumulator: np.ndarray, word: np.ndarray) -> np.ndarray:
        """XXH64's round, in place on ``accumulator`` (``word`` is clobbered)."""
        word *= _U["P2"]
        accumulator += word
        self.rotl_mul(accumulator, 31, _U["P1"])
        return accumulator

    def hash(self, seed: int) -> np.ndarray:
        length, offset = self.length, 0
        if length >= 32:
            lanes = [np.full(self.count, np.uint64(value & _MASK))
                     for value in (seed + _P1 + _P2, seed + _P2, seed, seed - _P1)]
            while offset + 32 <= length:
                for lane in lanes:
                    self.round(lane, self.word(offset))
                    offset += 8
            hashed = np.zeros(self.count, dtype=np.uint64)
            for lane, bits in zip(lanes, (1, 7, 12, 18)):  # hashed = rotl(v1, 1) + rotl(v2, 7) + ...
                hashed += np.left_shift(lane, np.uint64(bits), out=self.scratch)
                hashed += np.right_shift(lane, np.uint64(64 - bits), out=self.scratch)
            for lane in lanes:
                hashed ^= self.round(np.zeros(self.count, dtype=np.uint64), lane)
                hashed *= _U["P1"]
                hashed += _U["P4"]
            hashed += np.uint64(length)
        else:
            hashed = np.full(self.count, np.uint64((seed + _P5 + length) & _MASK))
        while offset + 8 <= length:
            hashed ^= self.round(np.zeros(self.count, dtype=np.uint64), self.word(offset))
            self.rotl_mul(hashed, 27, _U["P1"])
            hashed += _U["P4"]
            offset += 8
        if offset + 4 <= length:
            word = self.word(offset)
            word &= np.uint64(0xFFFFFFFF)
            word *= _U["P1"]
            hashed ^= word
            self.rotl_mul(hashed, 23, _U["P2"])
            hashed += _U["P3"]
            offset += 4
        if offset < length:
            tail = self.word(offset)
            for _ in range(length - offset):
                hashed ^= np.multiply(tail & np.uint64(0xFF), _U["P5"], out=self.scratch)
                self.rotl_mul(hashed, 11, _U["P1"])
                tail >>= np.uint64(8)
        for shift, prime in ((33, _U["P2"]), (29, _U["P3"])):
            hashed ^= np.right_shift(hashed, np.uint64(shift), out=self.scratch)
            hashed *= prime
        hashed ^= np.right_shift(hashed, np.uint64(32), out=self.scratch)
        return hashed


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
