"""Deequ's KLL quantile sketch (``QuantileNonSample[Double]``) with the same structure, built in bulk.

Deequ adds values one at a time: each goes to level 0, and when the number of held items exceeds the total
capacity, the lowest level holding at least its capacity is compacted (its even-length prefix is sorted and
every other item, from an alternating offset, moves up one level; an odd last item stays). Level ``i`` items
weigh ``2**i``.

Up to 2050 values (level 0's capacity) Deequ's sketch is every value in input order, and so is ours. Beyond
that we build the sketch of a whole array at once: :func:`_plan` replays Deequ's compaction schedule on counts
alone, which gives exactly the level sizes (and compaction counts) Deequ would end with; each level is then
filled with rank-evenly placed items of one full sort: the sorted values are cut into consecutive groups, one
per item, of the item's weight, and each item is its group's middle value. The items differ from Deequ's
(whose random-walk compaction error at a million values is ~1e-3 of rank), the structure is identical and the
rank error is at most half the largest weight (2.6e-4 at a million). Merging (chunks, files) is Deequ's own
``merge``, with Deequ's error from then on.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

SKETCH_SIZE = 2048
SHRINKING_FACTOR = 0.64


def capacity(height: int, sketch_size: int = SKETCH_SIZE, shrinking_factor: float = SHRINKING_FACTOR) -> int:
    """Capacity of compactor ``height`` exactly as Deequ computes it (2050 for level 0 at k=2048)."""
    return 2 * (math.ceil(sketch_size * shrinking_factor ** height / 2) + 1)


def _offset(compaction_index: int) -> int:
    """Deequ's compactor starts at offset 0 and flips it before every odd-numbered compaction: 0,1,1,0,0,1,..."""
    return ((compaction_index + 1) // 2) % 2


@dataclass
class KLLSketch:
    """One column's KLL sketch: ``levels[i]`` holds items of weight ``2**i`` in Deequ's buffer order.

    Parameters
    ----------
    levels : list of ndarray
        Compactor buffers, level 0 first.
    compactions : list of int
        How many times each level has been compacted (decides the next offset).
    sketch_size, shrinking_factor : int, float
        Deequ's ``k`` and ``c``.
    """

    levels: list = field(default_factory=lambda: [np.empty(0)])
    compactions: list = field(default_factory=lambda: [0])
    sketch_size: int = SKETCH_SIZE
    shrinking_factor: float = SHRINKING_FACTOR

    @classmethod
    def from_data(cls, data: list, sketch_size: float = SKETCH_SIZE,
                  shrinking_factor: float = SHRINKING_FACTOR) -> "KLLSketch":
        """Rebuild a sketch from statistics.json's ``sketch.data`` (list of levels)."""
        levels = [np.asarray(level, dtype=np.float64) for level in data] or [np.empty(0)]
        # Compaction counts are not serialized by Deequ either; a rebuilt sketch starts them at 0.
        return cls(levels, [0] * len(levels), int(sketch_size), float(shrinking_factor))

    def _capacity(self, height: int) -> int:
        return capacity(height, self.sketch_size, self.shrinking_factor)

    @property
    def weight(self) -> int:
        """Total weight (equals the number of values sketched)."""
        return sum(len(level) << height for height, level in enumerate(self.levels))

    def to_data(self) -> list:
        """The ``sketch.data`` list of lists, as floats."""
        return [level.tolist() for level in self.levels]

    def weighted_items(self) -> tuple:
        """Sorted items and the cumulative weight at each (inclusive rank), for CDF and rank queries."""
        items = np.concatenate(self.levels)
        weights = np.concatenate([np.full(len(level), 1 << h, dtype=np.int64) for h, level in enumerate(self.levels)])
        order = np.argsort(items, kind="stable")
        return items[order], np.cumsum(weights[order])

    @classmethod
    def from_values(cls, values: np.ndarray, sketch_size: int = SKETCH_SIZE,
                    shrinking_factor: float = SHRINKING_FACTOR) -> "KLLSketch":
        """Sketch of a whole array: exact (input order) up to level 0's capacity, else rank-placed."""
        sketch = cls(sketch_size=sketch_size, shrinking_factor=shrinking_factor)
        if len(values) <= sketch._capacity(0):
            sketch.levels = [np.array(values, dtype=np.float64)]
            return sketch
        sizes, compactions = _plan(len(values), sketch_size, shrinking_factor)
        sketch.levels, sketch.compactions = _placed_levels(values, sizes), list(compactions)
        return sketch

    def update(self, values: np.ndarray) -> None:
        """Add values: appended in order while Deequ would still hold them all, else merged as a sketch."""
        if len(self.levels) == 1 and len(self.levels[0]) + len(values) <= self._capacity(0):
            self.levels[0] = np.concatenate([self.levels[0], values])
            return
        chunk = KLLSketch.from_values(values, self.sketch_size, self.shrinking_factor)
        if self.weight:
            self.merge(chunk)
        else:
            self.levels, self.compactions = chunk.levels, chunk.compactions

    def merge(self, other: "KLLSketch") -> "KLLSketch":
        """Deequ's ``merge``: concatenate level by level (self first), then compact while full. Returns self."""
        while len(self.levels) < len(other.levels):
            self.levels.append(np.empty(0))
            self.compactions.append(0)
        for height, level in enumerate(other.levels):
            self.levels[height] = np.concatenate([self.levels[height], level])
        while sum(map(len, self.levels)) >= self._total_capacity():
            height = self._lowest_full_level()
            if height is None:  # Deequ would spin forever here; nothing can be compacted, so stop.
                break
            self._compact_in_place(height)
        return self

    def _total_capacity(self) -> int:
        return sum(self._capacity(h) for h in range(len(self.levels)))

    def _lowest_full_level(self):
        return next((h for h, level in enumerate(self.levels) if len(level) >= self._capacity(h)), None)

    def _compact_in_place(self, height: int) -> None:
        if height + 1 >= len(self.levels):
            self.levels.append(np.empty(0))
            self.compactions.append(0)
        buffer = self.levels[height]
        even = len(buffer) - len(buffer) % 2
        picked = np.sort(buffer[:even])[_offset(self.compactions[height])::2]
        self.levels[height + 1] = np.concatenate([self.levels[height + 1], picked])
        self.levels[height] = buffer[even:]
        self.compactions[height] += 1


@functools.lru_cache(maxsize=64)
def _plan(count: int, sketch_size: int, shrinking_factor: float) -> tuple:
    """Level sizes and compaction counts Deequ's ``update`` reaches after ``count`` values from empty.

    Only counts decide which level is compacted when, so the schedule is replayed without values (and is the
    same for every column of a table: cached, as tuples).
    """
    def cap(height: int) -> int:
        return capacity(height, sketch_size, shrinking_factor)

    sizes, compactions = [0], [0]
    total_capacity, held, remaining = cap(0), 0, count
    while remaining > 0:
        if held > total_capacity:
            # Every update condenses now; only a level that is already full, or level 0 once it fills, compacts.
            any_full = any(sizes[h] >= cap(h) for h in range(1, len(sizes)))
            step = 1 if any_full else max(cap(0) - sizes[0], 1)
        else:
            step = total_capacity - held + 1
        if step > remaining:
            sizes[0] += remaining
            break
        sizes[0] += step
        held += step
        remaining -= step
        height = next((h for h in range(len(sizes)) if sizes[h] >= cap(h)), None)
        if height is None:
            continue
        if height + 1 >= len(sizes):
            sizes.append(0)
            compactions.append(0)
            total_capacity += cap(len(sizes) - 1)
        even = sizes[height] - sizes[height] % 2
        sizes[height] -= even
        sizes[height + 1] += even // 2
        held -= even // 2
        compactions[height] += 1
    return tuple(sizes), tuple(compactions)


def _placed_levels(values: np.ndarray, sizes: list) -> list:
    """Fill levels of ``sizes`` with the middle values of consecutive weight-sized groups of sorted values."""
    ordered = np.sort(values)
    levels, start = [], 0
    for height, size in enumerate(sizes):
        weight = 1 << height
        levels.append(ordered[start + weight // 2 + weight * np.arange(size)])
        start += weight * size
    return levels
