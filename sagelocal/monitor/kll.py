"""Deequ's KLL quantile sketch (``QuantileNonSample[Double]``), built in bulk with numpy.

Deequ adds values one at a time: each goes to level 0, and when the number of held items exceeds the total
capacity, the lowest level holding at least its capacity is compacted (its even-length prefix is sorted and
every other item, from an alternating offset, moves up one level; an odd last item stays). Which level is
compacted when depends only on counts, never on values. So :func:`_plan` replays the counts alone, and the
values are then processed level by level: every compaction of a level consumes a contiguous prefix of that
level's stream (its leftover buffer followed by what the level below emitted), so all compactions of equal
length are one batched numpy sort. The result is bit-identical to Deequ's sequential ``update`` of the same
stream (one Spark partition); across Spark partitions Deequ merges per-partition sketches in an order we cannot
know, so for multi-partition inputs only the structure and error bound (not the items) match.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from functools import lru_cache

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


def _plan(sizes: list, compactions: list, count: int, cap) -> list:
    """Replay Deequ's ``update`` for ``count`` new values using counts only.

    Returns, per level, the lengths consumed by that level's compactions in order (levels may be added).
    """
    sizes = list(sizes)
    consumed = [[] for _ in sizes]
    total_capacity = sum(cap(h) for h in range(len(sizes)))
    held = sum(sizes)
    remaining = count
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
            consumed.append([])
            total_capacity += cap(len(sizes) - 1)
        even = sizes[height] - sizes[height] % 2
        consumed[height].append(even)
        sizes[height] -= even
        sizes[height + 1] += even // 2
        held -= even // 2
    return consumed


class _LevelLayout:
    """Where each stream item goes for one level's compactions, shared by all columns with the same plan.

    The compactions of a level sort consecutive segments of different lengths; laying the segments out as
    rows of one +inf-padded matrix turns them into a single row-wise sort. ``scatter`` maps stream positions
    to matrix cells, ``picks`` lists the matrix cells emitted (every other item from each row's offset).
    """

    def __init__(self, lengths: list, first_compaction: int):
        lengths = np.asarray(lengths, dtype=np.int64)
        self.rows, self.consumed = len(lengths), int(lengths.sum())
        self.width = int(lengths.max()) if self.rows else 0
        if not self.rows:
            return
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        row_of_item = np.repeat(np.arange(self.rows), lengths)
        self.scatter = row_of_item * self.width + (np.arange(self.consumed) - np.repeat(starts, lengths))
        halves = lengths // 2
        row_of_pick = np.repeat(np.arange(self.rows), halves)
        within = np.arange(self.consumed // 2) - np.repeat(starts // 2, halves)
        offsets = ((np.arange(self.rows) + first_compaction + 1) // 2) % 2
        self.picks = row_of_pick * self.width + offsets[row_of_pick] + 2 * within

    def apply(self, held: np.ndarray, incoming: np.ndarray) -> tuple:
        """Compact the stream ``held + incoming``; returns (emitted items, unconsumed rest)."""
        if not self.rows:
            return incoming[:0], np.concatenate([held, incoming])
        matrix = np.full(self.rows * self.width, np.inf)
        taken_held = min(len(held), self.consumed)
        matrix[self.scatter[:taken_held]] = held[:taken_held]
        matrix[self.scatter[taken_held:]] = incoming[:self.consumed - taken_held]
        matrix.reshape(self.rows, self.width).sort(axis=-1)
        rest = np.concatenate([held[taken_held:], incoming[self.consumed - taken_held:]])
        return matrix[self.picks], rest


def update_sketches(sketches: list, columns: list) -> None:
    """Add ``columns[i]`` (1-d float arrays, nulls removed) to ``sketches[i]`` in place, as Deequ's ``update``.

    Sketches whose counts evolve identically (same level sizes, same compaction counts, same number of new
    values) share one plan and one layout per level; each column is then a few whole-array numpy calls.
    """
    groups: dict = {}
    for sketch, values in zip(sketches, columns):
        key = (tuple(map(len, sketch.levels)), tuple(sketch.compactions), len(values),
               sketch.sketch_size, sketch.shrinking_factor)
        groups.setdefault(key, []).append((sketch, values))
    for key, members in groups.items():
        plan, layouts = _planned(key)
        for sketch, values in members:
            _apply_plan(sketch, np.asarray(values, dtype=np.float64), plan, layouts)


@lru_cache(maxsize=4)
def _planned(key: tuple) -> tuple:
    """Plan and level layouts for a sketch state and a number of new values (columns of one table share it)."""
    sizes, compactions, count, sketch_size, shrinking_factor = key
    plan = _plan(list(sizes), list(compactions), count,
                 lambda height: capacity(height, sketch_size, shrinking_factor))
    done = list(compactions) + [0] * (len(plan) - len(compactions))
    return plan, [_LevelLayout(lengths, done[height]) for height, lengths in enumerate(plan)]


def _apply_plan(sketch: KLLSketch, incoming: np.ndarray, plan: list, layouts: list) -> None:
    held = sketch.levels + [np.empty(0)] * (len(plan) - len(sketch.levels))
    levels = []
    for height, layout in enumerate(layouts):
        incoming, rest = layout.apply(held[height], incoming)
        levels.append(rest)
    sketch.levels = levels
    sketch.compactions = [(sketch.compactions[h] if h < len(sketch.compactions) else 0) + len(plan[h])
                          for h in range(len(plan))]
