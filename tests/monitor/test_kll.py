"""KLL sketch: Deequ's exact prefix, Deequ's level structure, rank error, merging, and drift against scipy."""
import numpy as np
import pytest
from scipy import stats

from sagelocal.monitor import drift
from sagelocal.monitor.kll import KLLSketch, capacity


def sequential_sketch(values, k=2048, c=0.64):
    """Deequ's update(): append to level 0; when held > total capacity, compact the lowest full level once."""
    levels, compactions, offsets = [[]], [0], [0]
    for value in values:
        levels[0].append(value)
        if sum(map(len, levels)) > sum(capacity(h, k, c) for h in range(len(levels))):
            for height, buffer in enumerate(levels):
                if len(buffer) >= capacity(height, k, c):
                    if height + 1 >= len(levels):
                        levels.append([])
                        compactions.append(0)
                        offsets.append(0)
                    if compactions[height] % 2 == 1:
                        offsets[height] = 1 - offsets[height]
                    even = len(buffer) - len(buffer) % 2
                    levels[height + 1].extend(sorted(buffer[:even])[offsets[height]::2])
                    levels[height] = buffer[even:]
                    compactions[height] += 1
                    break
    return levels


def sketch_of(values):
    sketch = KLLSketch()
    sketch.update(values)
    return sketch


def max_rank_error(sketch, values):
    items, ranks = sketch.weighted_items()
    true_ranks = np.searchsorted(np.sort(values), items, side="right")
    return np.max(np.abs(ranks - true_ranks))


@pytest.mark.parametrize("count", [0, 1, 100, 2050])
def test_up_to_2050_values_the_sketch_is_deequs_exactly(count):
    values = np.random.default_rng(count).normal(size=count)
    assert sketch_of(values).to_data() == sequential_sketch(values.tolist()) == ([values.tolist()] if count else [[]])


@pytest.mark.parametrize("count", [2051, 9000, 40000, 123457])
def test_larger_sketches_have_deequs_level_sizes_and_half_a_top_weight_of_rank_error(count):
    values = np.random.default_rng(count).lognormal(size=count)
    ours = sketch_of(values)
    deequ = sequential_sketch(values.tolist())
    assert [len(level) for level in ours.levels] == [len(level) for level in deequ]
    assert ours.weight == count
    top_weight = 1 << (len(ours.levels) - 1)
    assert max_rank_error(ours, values) <= top_weight / 2
    # Deequ's own items are bit-for-bit different but within its (larger) error of the same ranks.
    assert max_rank_error(KLLSketch.from_data(deequ), values) >= max_rank_error(ours, values)


def test_chunked_updates_stay_within_the_sketch_error():
    values = np.random.default_rng(7).exponential(size=300_000)
    chunked = KLLSketch()
    for part in np.array_split(values, 7):
        chunked.update(part)
    assert chunked.weight == len(values)
    assert max_rank_error(chunked, values) / len(values) < 0.005


def test_small_chunks_append_in_input_order_like_deequ():
    values = np.arange(2050, 0, -1, dtype=float)
    chunked = KLLSketch()
    for part in np.array_split(values, 5):
        chunked.update(part)
    assert chunked.to_data() == [values.tolist()]


def test_merged_parts_equal_the_whole_within_the_sketch_error():
    rng = np.random.default_rng(11)
    parts = [rng.lognormal(size=50_000) for _ in range(6)]
    merged = KLLSketch()
    for part in parts:
        merged.merge(sketch_of(part))
    whole = np.concatenate(parts)
    assert merged.weight == len(whole)
    # Deequ's KLL at k=2048 keeps rank error well under 1 % of n.
    assert max_rank_error(merged, whole) / len(whole) < 0.005
    assert drift.numerical_linf(merged, sketch_of(whole))[0] < 0.005


@pytest.mark.parametrize("sizes", [(2050, 2050), (700, 1900), (13, 2000)])
def test_drift_is_exactly_the_ks_statistic_up_to_2050_values(sizes):
    rng = np.random.default_rng(sum(sizes))
    first, second = rng.normal(size=sizes[0]).round(2), rng.normal(0.2, size=sizes[1]).round(2)
    assert drift.numerical_linf(sketch_of(first), sketch_of(second))[0] == pytest.approx(
        stats.ks_2samp(first, second).statistic, abs=1e-15)


@pytest.mark.parametrize("shift", [0.0, 0.01, 0.05])
def test_drift_within_1e_3_of_ks_at_a_million_a_side(shift):
    rng = np.random.default_rng(int(shift * 100) + 1)
    first, second = rng.normal(size=1_000_000), rng.normal(shift, size=1_000_000)
    distance = drift.numerical_linf(sketch_of(first), sketch_of(second))[0]
    assert abs(distance - stats.ks_2samp(first, second).statistic) <= 1e-3
