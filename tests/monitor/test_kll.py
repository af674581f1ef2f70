"""The bulk KLL builder against a row-by-row replay of Deequ's QuantileNonSample semantics."""
import numpy as np
import pytest

from sagelocal.monitor.kll import KLLSketch, capacity, update_sketches


def sequential_sketch(values, k=2048, c=0.64):
    """Deequ's update(): append to level 0; when held > total capacity, compact the lowest full level once."""
    levels, compactions = [[]], [0]
    offsets = [0]

    def total():
        return sum(capacity(h, k, c) for h in range(len(levels)))

    for value in values:
        levels[0].append(value)
        if sum(map(len, levels)) > total():
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


@pytest.mark.parametrize("count", [0, 1, 2050, 2051, 9000, 40000])
def test_bulk_equals_sequential_deequ_replay(count):
    values = np.random.default_rng(count).normal(size=count)
    sketch = KLLSketch()
    update_sketches([sketch], [values])
    assert sketch.to_data() == sequential_sketch(values.tolist())
    assert sketch.weight == count


def test_chunked_updates_equal_one_stream():
    values = np.random.default_rng(7).exponential(size=30000)
    whole, chunked = KLLSketch(), KLLSketch()
    update_sketches([whole], [values])
    for part in np.array_split(values, 7):
        update_sketches([chunked], [part])
    assert chunked.to_data() == whole.to_data()


def test_columns_grouped_in_one_batch_match_single_columns():
    rng = np.random.default_rng(3)
    columns = [rng.uniform(size=12000) for _ in range(3)] + [rng.uniform(size=5000)]
    together = [KLLSketch() for _ in columns]
    update_sketches(together, columns)
    for sketch, values in zip(together, columns):
        alone = KLLSketch()
        update_sketches([alone], [values])
        assert sketch.to_data() == alone.to_data()


def test_exact_up_to_2050_values_in_input_order():
    values = np.arange(2050, 0, -1, dtype=float)
    sketch = KLLSketch()
    update_sketches([sketch], [values])
    assert sketch.to_data() == [values.tolist()]


def test_merged_parts_estimate_the_whole_within_the_sketch_error():
    rng = np.random.default_rng(11)
    parts = [rng.lognormal(size=50000) for _ in range(6)]
    merged = KLLSketch()
    for part in parts:
        piece = KLLSketch()
        update_sketches([piece], [part])
        merged.merge(piece)
    whole = np.sort(np.concatenate(parts))
    items, ranks = merged.weighted_items()
    assert merged.weight == len(whole)
    true_ranks = np.searchsorted(whole, items, side="right")
    # KLL's rank error at k=2048 is well under 1 % of n; allow 1 %.
    assert np.max(np.abs(ranks - true_ranks)) / len(whole) < 0.01
