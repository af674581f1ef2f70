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
_BLOCK = 1 << 14  # values hashed per step: their temporaries stay in the CPU cache


def empty() -> np.ndarray:
    """Registers of an empty sketch."""
    return np.zeros(REGISTERS, dtype=np.uint8)


def add_text(registers: np.ndarray, values) -> None:
    """Add the strings of a pyarrow string array (no nulls) to ``registers``, hashing their UTF-8 bytes."""
    if not len(values):
        return
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    data = values.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    add_hashes(registers, xxhash64(data, offsets[:-1].astype(np.int64), np.diff(offsets).astype(np.int64)))


def add_fixed(registers: np.ndarray, values: np.ndarray) -> None:
    """Add fixed-width numbers: int64 as Spark's long, float64 as its IEEE bits (one NaN), bool as int 1/0."""
    if values.dtype == np.bool_:
        values = values.astype(np.int32)
    elif values.dtype.kind == "f":
        values = np.where(np.isnan(values), np.nan, values.astype(np.float64))  # doubleToLongBits: one NaN
    else:
        values = values.astype(np.int64)
    width = values.dtype.itemsize
    data = np.ascontiguousarray(values).view(np.uint8)
    add_hashes(registers, xxhash64(data, np.arange(len(values), dtype=np.int64) * width,
                                   np.full(len(values), width, dtype=np.int64)))


def add_hashes(registers: np.ndarray, hashes: np.ndarray) -> None:
    """Fold 64-bit hashes into ``registers`` (index: top 9 bits; value: leading zeros of the rest, plus 1)."""
    seen = np.zeros(REGISTERS * 64, dtype=bool)
    for start in range(0, len(hashes), _BLOCK):
        block = hashes[start:start + _BLOCK]
        index = (block >> np.uint64(64 - PRECISION)).astype(np.intp)
        # w = (hash << p) | 1 << (p - 1), as Deequ pads it. Its bit length comes from the float exponent of
        # w >> 11, exact below 2**53; w >> 11 is 0 only when the 53 hash bits below the index are all 0.
        padded = (block << np.uint64(PRECISION)) | np.uint64(1 << (PRECISION - 1))
        top = (padded >> np.uint64(11)).view(np.int64).astype(np.float64)
        bit_length = (top.view(np.int64) >> 52) - 1023 + 1 + 11
        short = top == 0
        if short.any():
            bit_length[short] = [int(value).bit_length() for value in padded[short]]
        seen[index * 64 + (65 - bit_length)] = True
    rows = seen.reshape(REGISTERS, 64)
    highest = np.where(rows.any(axis=1), 63 - np.argmax(rows[:, ::-1], axis=1), 0).astype(np.uint8)
    np.maximum(registers, highest, out=registers)


def xxhash64(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, seed: int = SEED) -> np.ndarray:
    """XxHash64 (Spark's ``XXH64.hashUnsafeBytes``) of the byte spans ``data[start:start + length]``.

    Spans are grouped by length, so every step of the algorithm is one numpy operation over a group;
    8-byte words are read unaligned through a view with a 1-byte stride.
    """
    padded = np.zeros(len(data) + 8, dtype=np.uint8)  # a tail read takes a whole word past the last byte
    padded[:len(data)] = data
    words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    hashes = np.empty(len(lengths), dtype=np.uint64)
    order = np.argsort(lengths, kind="stable")
    ordered = lengths[order]
    edges = [0, *(np.flatnonzero(np.diff(ordered)) + 1).tolist(), len(order)]
    for first, end in zip(edges[:-1], edges[1:]):
        length = int(ordered[first])
        for block in range(first, end, _BLOCK):
            rows = order[block:min(block + _BLOCK, end)]
            hashes[rows] = _hash_one_length(words, starts[rows], length, seed)
    return hashes


def _rotl(x: np.ndarray, bits: int) -> np.ndarray:
    return (x << np.uint64(bits)) | (x >> np.uint64(64 - bits))


def _round(accumulator, word: np.ndarray) -> np.ndarray:
    accumulator = accumulator + word * _U["P2"]
    return _rotl(accumulator, 31) * _U["P1"]


def _hash_one_length(words: np.ndarray, starts: np.ndarray, length: int, seed: int) -> np.ndarray:
    """XxHash64 of spans that all have ``length`` bytes (the structure of the algorithm depends on it)."""
    count, offset = len(starts), 0
    if length >= 32:
        lanes = [np.full(count, np.uint64(value & _MASK))
                 for value in (seed + _P1 + _P2, seed + _P2, seed, seed - _P1)]
        while offset + 32 <= length:
            lanes = [_round(lane, words[starts + offset + 8 * i]) for i, lane in enumerate(lanes)]
            offset += 32
        hashed = _rotl(lanes[0], 1) + _rotl(lanes[1], 7) + _rotl(lanes[2], 12) + _rotl(lanes[3], 18)
        for lane in lanes:
            hashed = (hashed ^ _round(np.uint64(0), lane)) * _U["P1"] + _U["P4"]
        hashed += np.uint64(length)
    else:
        hashed = np.full(count, np.uint64((seed + _P5 + length) & _MASK))
    while offset + 8 <= length:
        hashed ^= _round(np.uint64(0), words[starts + offset])
        hashed = _rotl(hashed, 27) * _U["P1"] + _U["P4"]
        offset += 8
    if offset + 4 <= length:
        hashed ^= (words[starts + offset] & np.uint64(0xFFFFFFFF)) * _U["P1"]
        hashed = _rotl(hashed, 23) * _U["P2"] + _U["P3"]
        offset += 4
    if offset < length:
        tail = words[starts + offset]
        for _ in range(length - offset):
            hashed ^= (tail & np.uint64(0xFF)) * _U["P5"]
            hashed = _rotl(hashed, 11) * _U["P1"]
            tail >>= np.uint64(8)
    hashed ^= hashed >> np.uint64(33)
    hashed *= _U["P2"]
    hashed ^= hashed >> np.uint64(29)
    hashed *= _U["P3"]
    hashed ^= hashed >> np.uint64(32)
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
