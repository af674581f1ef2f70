"""Column profiles: accumulate a table chunk by chunk, merge partial profiles, write ``statistics.json``.

A :class:`ColumnProfile` keeps only mergeable state (counts, sum, mean and squared deviations for Chan's
parallel variance, min, max, a KLL sketch, Deequ's HyperLogLog++ registers, exact category counts while few),
so a dataset bigger than memory, or an hour of capture files, can be profiled piece by piece and combined.
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagelocal.monitor import dtypes, hll, reader, sparkcast
from sagelocal.monitor.arrays import count_where, float_values, int_values, ones, text_array
from sagelocal.monitor.kll import KLLSketch

# Deequ ColumnProfiler.DEFAULT_CARDINALITY_THRESHOLD: categorical histograms only up to this many distinct.
CARDINALITY_THRESHOLD = 120
# Exact category counts are kept while a column has at most this many distinct values; beyond it no
# histogram can be written (the HLL estimate is far above the threshold), so the counts are dropped.
_CATEGORY_LIMIT = 4096
# Distinct values are counted only when this many first rows of a chunk hold at most _CATEGORY_LIMIT of them
# (twice the limit: enough to tell, and cheap enough to probe every block of a file).
_PROBE_ROWS = 2 * (_CATEGORY_LIMIT + 1)
BUCKET_COUNT = 10
_SEQUENTIAL_MOMENTS_LIMIT = 4096
_WORKERS = min(4, os.cpu_count() or 1)


@dataclass
class ColumnProfile:
    """Mergeable profile of one column.

    Attributes
    ----------
    name : str
        Column name.
    rows, missing : int
        Rows seen and null values among them.
    type_counts : dict
        Present values by Deequ value type.
    count, total, mean, m2, minimum, maximum : numbers
        Over the numeric values (``m2`` is the sum of squared deviations from ``mean``).
    sketch : KLLSketch
        Deequ KLL sketch of the numeric values.
    held : list of numpy.ndarray
        Numbers of a part's earlier tables, folded together with its last (see :func:`add_table`).
    wide_integers : numpy.ndarray
        Integral text beyond the 64-bit range: numbers only if the column ends Fractional (see :meth:`finish`).
    registers : numpy.ndarray
        Deequ's distinct-count registers over every present value as read (the raw text of a CSV cell).
    categories : dict or None
        Exact value counts (first-seen order); None once the column exceeds ``_CATEGORY_LIMIT`` values.
    domain : frozenset or None
        Allowed values of a ``categorical_values_check``; ``in_domain`` counts present values inside it.
    row_by_row : bool
        A chunk's first rows held more distinct values than categories keep: later chunks skip that probe.
    """

    name: str
    rows: int = 0
    missing: int = 0
    type_counts: dict = field(default_factory=lambda: dict.fromkeys(dtypes.VALUE_TYPES, 0))
    count: int = 0
    total: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    sketch: KLLSketch = field(default_factory=KLLSketch)
    held: list = field(default_factory=list)
    wide_integers: np.ndarray = field(default_factory=lambda: np.zeros(0))
    registers: np.ndarray = field(default_factory=hll.empty)
    categories: dict | None = field(default_factory=dict)
    domain: frozenset | None = None
    in_domain: int = 0
    row_by_row: bool = False

    @property
    def inferred_type(self) -> str:
        return dtypes.column_type(self.type_counts)

    @property
    def present(self) -> int:
        return self.rows - self.missing

    def add_numbers(self, values: np.ndarray) -> None:
        """Fold float ``values`` into count/sum/moments/min/max and the KLL sketch."""
        if not len(values):
            return
        self._merge_moments(len(values), float(values.sum()), *_central_moments(values))
        self.minimum = min(self.minimum, float(values.min()))
        self.maximum = max(self.maximum, float(values.max()))
        self.sketch.update(values)

    def fold_held(self) -> None:
        """Fold the held numbers as one array: the sketch of a part read in blocks is that of its whole."""
        if self.held:
            numbers = self.held[0] if len(self.held) == 1 else np.concatenate(self.held)
            self.held = []
            self.add_numbers(numbers)

    def finish(self) -> "ColumnProfile":
        """Apply the cast of the column's final type to what the parts kept; returns self.

        Spark's double cast of a Fractional column keeps 64-bit-overflowing integers, the long cast of an
        Integral one nulls them; and the long cast has no negative zero (``"-0"`` is 0), so an Integral column's
        zeros are unsigned. Call once, after the last part is merged.
        """
        self.fold_held()
        if len(self.wide_integers) and self.inferred_type == dtypes.FRACTIONAL:
            self.add_numbers(self.wide_integers)
        self.wide_integers = np.zeros(0)
        if self.inferred_type == dtypes.INTEGRAL:  # x + 0.0 is x, except -0.0 + 0.0 = 0.0
            self.minimum, self.maximum = self.minimum + 0.0, self.maximum + 0.0
            self.sketch.levels = [level + 0.0 for level in self.sketch.levels]
        return self

    def _merge_moments(self, count: int, total: float, mean: float, m2: float) -> None:
        """Spark's ``CentralMomentAgg`` merge of (count, mean, m2), plus the plain sum Deequ's Mean uses."""
        merged = self.count + count
        delta = mean - self.mean
        share = delta / merged
        self.m2 += m2 + delta * share * self.count * count
        self.mean += share * count
        self.total += total
        self.count = merged

    def add_text(self, values: pa.Array, counts: pa.Array) -> None:
        """Fold present strings ``values``, seen ``counts`` times each, into categories, domain and registers."""
        hll.add_text(self.registers, values)
        self.add_categories(values, counts)

    def add_categories(self, values: pa.Array, counts: pa.Array) -> None:
        """Fold present strings ``values``, seen ``counts`` times each, into categories and domain."""
        if self.domain is not None:
            self.in_domain += count_where(pc.is_in(values, text_array(self.domain)), counts)
        if self.categories is None or len(values) > _CATEGORY_LIMIT:
            self.categories = None
            return
        for value, number in zip(values.to_pylist(), counts.to_pylist()):
            self.categories[value] = self.categories.get(value, 0) + number
        if len(self.categories) > _CATEGORY_LIMIT:
            self.categories = None

    def merge(self, other: "ColumnProfile") -> "ColumnProfile":
        """Combine ``other`` (a later part of the same column) into this profile; returns self."""
        self.fold_held()
        other.fold_held()
        self.rows += other.rows
        self.missing += other.missing
        self.in_domain += other.in_domain
        for kind, number in other.type_counts.items():
            self.type_counts[kind] = self.type_counts.get(kind, 0) + number
        if other.count:
            self._merge_moments(other.count, other.total, other.mean, other.m2)
            self.minimum = min(self.minimum, other.minimum)
            self.maximum = max(self.maximum, other.maximum)
        self.sketch.merge(other.sketch)
        self.wide_integers = np.concatenate([self.wide_integers, other.wide_integers])
        np.maximum(self.registers, other.registers, out=self.registers)
        if self.categories is not None and other.categories is not None:
            for value, number in other.categories.items():
                self.categories[value] = self.categories.get(value, 0) + number
            if len(self.categories) > _CATEGORY_LIMIT:
                self.categories = None
        else:
            self.categories = None
        return self


def _central_moments(values: np.ndarray) -> tuple:
    """Mean and sum of squared deviations.

    Short inputs follow Spark's row-by-row update (Welford), which is what produced AWS's std_dev digits;
    long ones use numpy's two-pass form, equal to within rounding (Spark's own result there depends on
    how rows were partitioned).
    """
    if len(values) > _SEQUENTIAL_MOMENTS_LIMIT:
        mean = float(values.mean())
        deviations = values - mean
        return mean, float(np.square(deviations, out=deviations).sum())  # in place: one 8 MB array, not two
    count, mean, m2 = 0, 0.0, 0.0
    for value in values.tolist():
        count += 1
        delta = value - mean
        share = delta / count
        mean += share
        m2 += delta * (delta - share)
    return mean, m2


def add_table(profiles: dict, table: pa.Table) -> None:
    """Fold one table chunk (columns already typed by the reader) into ``profiles`` by column name.

    The numbers of a table that :func:`reader.continues` are held, and folded with those of its part's last
    table. Columns are profiled on a small thread pool: numpy's sorts, pyarrow's kernels and the hashing
    loops release the GIL, so the machine's cores work on different columns at once.
    """
    fold = not reader.continues(table)
    for name in table.column_names:
        profiles.setdefault(name, ColumnProfile(name))
    # Text columns cost the most (hashing every row): start them first so they do not finish alone.
    order = sorted(table.column_names, key=lambda name: not pa.types.is_string(table.schema.field(name).type))
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        list(pool.map(lambda name: _add_column(profiles[name], table.column(name), fold), order))


def _add_column(profile: ColumnProfile, column: pa.ChunkedArray, fold: bool) -> None:
    column = column.combine_chunks()
    profile.rows += len(column)
    profile.missing += column.null_count
    numbers = _classify(profile, column)
    if numbers is not None:
        profile.held.append(numbers)
    if fold:
        profile.fold_held()


def _classify(profile: ColumnProfile, column: pa.Array):
    """Count value types of ``column`` into ``profile`` and hash its values; return its numbers (or None)."""
    kind = column.type
    present = column.drop_null() if column.null_count else column
    # Typed values (JSON, Parquet) are hashed as Spark hashes a long, a boolean (the int 1 or 0) or a double.
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        hll.add_fixed(profile.registers, int_values(present, np.int32 if pa.types.is_boolean(kind) else np.int64))
    elif pa.types.is_floating(kind):
        hll.add_fixed(profile.registers, float_values(present))
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        profile.type_counts[dtypes.INTEGRAL if pa.types.is_integer(kind) else dtypes.FRACTIONAL] += len(present)
        return float_values(present)
    if pa.types.is_null(kind):
        return None
    if pa.types.is_boolean(kind):
        profile.type_counts[dtypes.BOOLEAN] += len(present)
        profile.add_categories(*_weighted_values(profile, pc.cast(present, pa.string())))
        return None
    text = present if pa.types.is_string(kind) else pc.cast(present, pa.string())
    values, counts = _weighted_values(profile, text)
    plain = sparkcast.plain_numbers(text) if len(values) == len(text) else None
    value_types, numbers = plain if plain else (dtypes.classify_text(values, counts), None)
    for value_type, number in value_types.items():
        profile.type_counts[value_type] += number
    profile.add_text(values, counts)
    if numbers is not None or not value_types.get(dtypes.INTEGRAL) and not value_types.get(dtypes.FRACTIONAL):
        return numbers
    numbers, wide = sparkcast.spark_numbers(text)
    profile.wide_integers = np.concatenate([profile.wide_integers, wide])
    return numbers


def _weighted_values(profile: ColumnProfile, text: pa.Array) -> tuple:
    """The present values of ``text`` as ``(values, counts)``: the distinct values and how often each is seen.

    The regexes, hashes and lookups then run once per distinct value instead of once per row. Except when the
    first rows already hold more distinct values than categories keep, in this chunk or an earlier one of the
    column: then every value comes once (count 1), as counting a million mostly distinct strings costs more
    than all those steps on every row. Either way gives the same profile.
    """
    if profile.row_by_row or len(pc.unique(text.slice(0, _PROBE_ROWS))) > _CATEGORY_LIMIT + 1:  # + 1: a null
        profile.row_by_row = True
        values = text.drop_null() if text.null_count else text
        return values, ones(len(values))
    counted = pc.value_counts(text)
    if text.null_count:  # nulls are counted as one more "value"; drop that entry (cheaper than dropping rows)
        counted = counted.filter(pc.is_valid(counted.field("values")))
    return counted.field("values"), counted.field("counts")


def profile_table(table: pa.Table) -> dict:
    """Profile a whole in-memory table: ``{column name: ColumnProfile}`` in column order."""
    profiles: dict = {}
    add_table(profiles, table)
    return profiles


def merge_profiles(parts: list) -> dict:
    """Merge profiles of consecutive parts of one dataset (same column names), in order."""
    merged: dict = {}
    for part in parts:
        for name, profile in part.items():
            if name in merged:
                merged[name].merge(profile)
            else:
                merged[name] = profile
    return merged


def statistics_document(profiles: dict, item_count: int | None = None) -> dict:
    """The ``statistics.json`` document (as ordered dicts) for ``profiles``."""
    if item_count is None:
        item_count = max((p.rows for p in profiles.values()), default=0)
    return {"version": 0.0, "dataset": {"item_count": item_count},
            "features": [_feature(profile, item_count) for profile in profiles.values()]}


def _feature(profile: ColumnProfile, item_count: int) -> dict:
    kind = profile.inferred_type
    common = {"common": {"num_present": profile.present, "num_missing": profile.missing}}
    completeness = profile.present / item_count if item_count else 0.0
    if kind in dtypes.NUMERIC_TYPES:
        distinct = {"approximate_num_distinct_values": hll.estimate(profile.registers), "completeness": completeness}
        if not profile.count:
            # Every value was nulled by Spark's cast ("- 5"): Deequ's mean, sum, std_dev, min, max and KLL fail on
            # an empty state, and its profile leaves them out (ColumnProfiles.toJson writes only defined metrics).
            return {"name": profile.name, "inferred_type": kind, "numerical_statistics": {**common, **distinct}}
        stats = {**common, "mean": profile.total / profile.count, "sum": profile.total,
                 "std_dev": math.sqrt(profile.m2 / profile.count),
                 "min": profile.minimum, "max": profile.maximum, **distinct,
                 "distribution": {"kll": {
                     "buckets": kll_buckets(profile.sketch, profile.minimum, profile.maximum),
                     "sketch": {"parameters": {"c": profile.sketch.shrinking_factor,
                                               "k": float(profile.sketch.sketch_size)},
                                "data": profile.sketch.to_data()}}}}
        return {"name": profile.name, "inferred_type": kind, "numerical_statistics": stats}
    distinct = float(hll.estimate(profile.registers))
    stats = {**common, "distinct_count": distinct, "completeness": completeness}
    if profile.categories is not None and profile.categories and distinct <= CARDINALITY_THRESHOLD:
        stats["distribution"] = {"categorical": {"buckets": [
            {"value": value, "count": number} for value, number in profile.categories.items()]}}
    return {"name": profile.name, "inferred_type": kind, "string_statistics": stats}


def kll_buckets(sketch: KLLSketch, minimum: float, maximum: float) -> list:
    """Deequ's 10 equal-width buckets over [min, max], counted from the sketch's weighted ranks."""
    items, cumulative = sketch.weighted_items()
    width = maximum - minimum

    def rank_below(x: float) -> int:
        position = np.searchsorted(items, x, side="left")
        return int(cumulative[position - 1]) if position else 0

    def rank_upto(x: float) -> int:
        position = np.searchsorted(items, x, side="right")
        return int(cumulative[position - 1]) if position else 0

    buckets = []
    for i in range(BUCKET_COUNT):
        # Same operation order as Deequ (min + (max - min) * i / 10) so the bounds match bit for bit.
        lower = minimum + width * i / BUCKET_COUNT
        upper = minimum + width * (i + 1) / BUCKET_COUNT
        top = rank_upto(upper) if i == BUCKET_COUNT - 1 else rank_below(upper)
        buckets.append({"lower_bound": lower, "upper_bound": upper, "count": float(top - rank_below(lower))})
    return buckets
