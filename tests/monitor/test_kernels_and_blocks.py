"""The compiled per-value loops against Python's own arithmetic, and a CSV read in blocks profiled as one table."""
import math

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from sagelocal.monitor import _kernels, api, reader
from sagelocal.monitor.arrays import text_offsets
from sagelocal.monitor.profile import profile_table, statistics_document


def parsed(texts: list):
    values = pa.array(texts, pa.string())
    out = np.empty(len(texts), dtype=np.float64)
    return _kernels.parse_decimals(text_offsets(values), values.buffers()[2] or b"", out), out


def test_plain_decimals_parse_as_correctly_rounded_doubles_and_nan_beyond_one_exact_division():
    exact = ["0.1", "-0", "+0.0", "0.3000000000000001", "9007199254740992", "1.797693134862315", "000123.4500",
             "0." + "1" * 15, "1" * 15 + "." + "9", "0." + "0" * 17 + "7", "-9007199254740.992"]
    fractional, numbers = parsed(exact)
    assert fractional == 9
    # Python's float() rounds correctly, as Spark's Double.parseDouble does; the sign of zero included.
    assert numbers.view(np.uint64).tolist() == np.array([float(t) for t in exact]).view(np.uint64).tolist()
    # 2**53 + 1 (its digits are no longer a double), and 20 digits: left to a correct parser.
    beyond = ["9007199254740993", "12345678901234567890", "0." + "0" * 18 + "7", "1.2"]
    fractional, numbers = parsed(beyond)
    assert fractional == 2 and [math.isnan(n) for n in numbers] == [True, True, True, False]


def test_anything_but_plain_decimal_text_declines_the_whole_array():
    for odd in (".5", "5.", "-.5", "1.2.3", "", "-", "1e5", " 5", "- 5", "5 ", "١", "nan", "--5", "1,5"):
        assert parsed(["1", odd])[0] is None, odd


def test_registers_take_leading_zeros_plus_one_of_the_padded_low_bits():
    registers = np.zeros(512, dtype=np.uint8)
    hashes = np.array([0, 1 << 55, (3 << 55) | (1 << 54), (3 << 55) | 1, (511 << 55) | ((1 << 55) - 1)],
                      dtype=np.uint64)
    _kernels.fold_registers(registers, hashes)
    # Register 0: all 55 low bits zero, so the padding bit bounds the candidate at 56; register 1 likewise;
    # register 3: bit 54 set gives 1, a lone lowest bit gives 55 (the larger is kept); register 511: 1.
    assert {index: int(rank) for index, rank in enumerate(registers) if rank} == {0: 56, 1: 56, 3: 55, 511: 1}


def test_a_file_up_to_the_threshold_is_read_in_blocks_and_profiled_as_one_table(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    rows = 30_000
    data = pa.table({"x": rng.normal(size=rows).round(5), "n": rng.integers(0, 50, rows),
                     "s": rng.choice(["a", "b"], rows), "u": np.char.add("u", np.arange(rows).astype(str))})
    path = tmp_path / "d.csv"
    pcsv.write_csv(data, path)
    monkeypatch.setattr(reader, "BLOCK_SIZE", 32 << 10)
    chunks = list(reader.read_chunks(path, "csv", header=True))
    assert len(chunks) > 10 and [reader.continues(chunk) for chunk in chunks] == [True] * (len(chunks) - 1) + [False]
    whole = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(data.column_names,
                                                                                                pa.string())))
    expected = statistics_document({name: profile.finish() for name, profile in profile_table(whole).items()})
    assert api.profile_dataset(path, "csv", header=True) == expected  # the KLL items too, to the last bit
