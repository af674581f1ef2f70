"""Arrow's CSV reader (multi-row requests) reads every payload it takes exactly as the container's field-by-field
rules do, and leaves to those rules every payload they refuse or read otherwise."""
import numpy as np
import pytest

from sagelocal.jobs.csv_rows import read_rows
from sagelocal.jobs.serving import ContainerError, XGBoostServer, parse_csv_fields

READ_ALIKE = [
    b"1,2\n3,4",
    b"1,,3\n,5,6",  # empty fields: missing values
    b"1,2,\n3,4,",
    b"1,2\r\n3,4",
    b"1\n\n2",  # one column: an empty line is one missing value
    b"nan,inf\n-inf,1e5",
    b" 1,2 \n3,\t4",
    b"+1,-2\n.5,5.",
    b"1.5e400,2\n3,4",
    b"0.1,0.30000000000000004\n16777217,3.4028235e38",  # float64 first, then float32, as float() then astype
]
LEFT_TO_THE_FIELDS = [
    b"1,2\n3",  # rows of other widths
    b"1,2\n3,4,5",
    b"1,2\n\n3,4",  # an empty line among wider rows: a row of one field
    b"1,2\r\n\r\n3,4",
    b"1,2\n  \n3,4",
    b"1,2\r3,4",  # a lone \r does not end a row
    b'"1",2\n3,4',  # no quoting
    b"NA,2\n3,4",  # only the empty field is missing
    b"1_0,2\n3,4",
    b"0x1,2\n3,4",
    b"1,2\n3,\xff",
    b"1,abc\n3,4",
]


@pytest.mark.parametrize("payload", READ_ALIKE)
def test_arrow_reads_a_payload_as_the_container_s_fields_do(payload):
    fast = read_rows(payload)
    assert fast is not None
    exact = parse_csv_fields(payload)
    assert fast.dtype == exact.dtype == np.float32
    np.testing.assert_array_equal(fast, exact)


@pytest.mark.parametrize("payload", LEFT_TO_THE_FIELDS)
def test_a_payload_arrow_would_read_otherwise_is_left_to_the_container_s_rules(payload):
    assert read_rows(payload) is None


def test_a_bad_row_deep_in_a_batch_request_gets_the_container_s_415():
    import xgboost as xgb

    booster = xgb.train({"max_depth": 1}, xgb.DMatrix(np.zeros((4, 2)), label=[0, 1, 0, 1]), num_boost_round=1)
    server = XGBoostServer(booster, "1.7-1")
    body = b"1,2\n" * 5000 + b"3\n" + b"1,2\n" * 5000
    with pytest.raises(ContainerError) as refused:
        server.invoke("text/csv", body, batch=True)
    assert refused.value.status == 415
    assert "rows have different numbers of columns: [1, 2]" in refused.value.message
