"""Arrow arrays to numpy and back through their buffers, so that a job never imports pandas.

pyarrow imports pandas (when installed) on the first ``Array.to_numpy`` and on every ``pa.array`` of Python
objects: 0.2 s, a seventh of a million-row monitoring run, for a module the monitor never uses. These few
conversions are all the profiler needs, and buffers give them without it.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def float_values(array: pa.Array) -> np.ndarray:
    """The values of a null-free integer or floating array as float64 (a read-only view where possible).

    Integers beyond 2**53 round to the nearest float, as numpy's ``astype`` rounds them.
    """
    floats = pc.cast(array, pa.float64(), safe=False)
    return np.frombuffer(floats.buffers()[1], dtype=np.float64, count=len(floats), offset=floats.offset * 8)


def int_values(array: pa.Array, dtype) -> np.ndarray:
    """The values of a null-free integer or boolean array as numpy ``dtype`` (np.int32 or np.int64)."""
    ints = pc.cast(array, pa.int32() if dtype == np.int32 else pa.int64())
    return np.frombuffer(ints.buffers()[1], dtype=dtype, count=len(ints), offset=ints.offset * ints.type.byte_width)


def text_offsets(values: pa.Array) -> np.ndarray:
    """The int32 offsets of a string or binary array's values (``len + 1`` of them, not rebased to zero)."""
    return np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]


def text_bytes(values: pa.Array) -> np.ndarray:
    """The bytes of a string or binary array's values, back to back (a view, no copy)."""
    offsets, data = text_offsets(values), values.buffers()[2]
    return np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]] if data is not None else np.zeros(0, np.uint8)


def count_where(mask: pa.Array, counts: pa.Array) -> int:
    """Sum of ``counts`` where the boolean ``mask`` is true (value counts weighted by a per-value test)."""
    return pc.sum(pc.filter(counts, mask)).as_py() or 0


def ones(length: int) -> pa.Array:
    """An int64 array of ``length`` ones (every value seen once)."""
    return int64_array(np.ones(length, dtype=np.int64))


def int64_array(values: np.ndarray) -> pa.Array:
    """An int64 pyarrow array over a numpy int64 array's buffer (e.g. row indices for ``take``)."""
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def text_array(values) -> pa.Array:
    """A string array of the Python strings ``values``, assembled from offsets and UTF-8 bytes."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.cumsum([0] + [len(item) for item in encoded], dtype=np.int32)
    return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))
