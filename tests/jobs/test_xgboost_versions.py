"""The XGBoost training container of each image version: the hyperparameters it accepts, its error texts, the
model file it writes (aws/sagemaker-xgboost-container at each version's tag)."""
from __future__ import annotations

import pickle
import tarfile

import numpy as np
import pytest
import xgboost

from jobs.test_training import request
from sagelocal.config import Settings
from sagelocal.jobs.container import JobFailed
from sagelocal.jobs.training import run_training_job
from sagelocal.storage.s3 import LocalS3

REGISTRY = "683313688378.dkr.ecr.us-east-1.amazonaws.com"
LEGACY_IMAGE = "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1"
# The hyperparameters of the "model building, training, and deployment" template, exactly as its definition has them.
TEMPLATE_HYPERPARAMETERS = {"objective": "reg:linear", "num_round": "50", "max_depth": "5", "eta": "0.2",
                            "gamma": "4", "min_child_weight": "6", "subsample": "0.7", "silent": "0"}


def image(version: str) -> str:
    return f"{REGISTRY}/sagemaker-xgboost:{version}"


def regression_csv(rng, count: int) -> bytes:
    features = rng.normal(size=(count, 3))
    labels = 2 * features[:, 0] - features[:, 1] + rng.normal(scale=0.1, size=count)
    return "\n".join(",".join(f"{v:.5f}" for v in (label, *row)) for label, row in zip(labels, features)).encode()


def training_request(image_uri: str, hyperparameters: dict, channels: dict | None = None) -> dict:
    """test_training's request on ``image_uri``; ``channels`` maps each channel to its ContentType (None: none)."""
    channels = channels or {"train": "text/csv", "validation": "text/csv"}
    job = request(hyperparameters, tuple(channels))
    job["AlgorithmSpecification"]["TrainingImage"] = image_uri
    for channel in job["InputDataConfig"]:
        if channels[channel["ChannelName"]] is None:
            del channel["ContentType"]
        else:
            channel["ContentType"] = channels[channel["ChannelName"]]
    return job


@pytest.fixture
def settings(tmp_path):
    settings = Settings(home=tmp_path)
    rng = np.random.default_rng(0)
    s3 = LocalS3(settings.s3_root)
    s3.write_bytes("s3://data/train/train.csv", regression_csv(rng, 200))
    s3.write_bytes("s3://data/validation/validation.csv", regression_csv(rng, 50))
    return settings


def model_file(settings: Settings, job: dict) -> bytes:
    with tarfile.open(LocalS3(settings.s3_root).path(job["ModelArtifacts"]["S3ModelArtifacts"])) as archive:
        assert archive.getnames() == ["xgboost-model"]
        return archive.extractfile("xgboost-model").read()


@pytest.mark.parametrize("image_uri", [image("1.0-1-cpu-py3"), image("0.90-2-cpu-py3"), image("1.2-2"), LEGACY_IMAGE])
def test_containers_up_to_1_2_pickle_the_booster_the_template_unpickles(settings, image_uri):
    hyperparameters = dict(TEMPLATE_HYPERPARAMETERS)
    if image_uri.endswith("1.2-2"):
        del hyperparameters["silent"]  # 1.2 no longer accepts it (see below)
    job = run_training_job(settings, "job-pickled", training_request(image_uri, hyperparameters))
    # The template's evaluate.py: model = pickle.load(open("xgboost-model", "rb"))
    booster = pickle.loads(model_file(settings, job))
    assert isinstance(booster, xgboost.Booster)
    assert booster.num_boosted_rounds() == 50


@pytest.mark.parametrize("version", ["1.3-1", "1.5-1", "1.7-1", "3.0-5", "3.2-0"])
def test_containers_from_1_3_save_xgboost_s_own_format(settings, version):
    job = run_training_job(settings, "job-native", training_request(image(version), {"num_round": "7"}))
    raw = model_file(settings, job)
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(raw)
    booster = xgboost.Booster()
    booster.load_model(bytearray(raw))
    assert booster.num_boosted_rounds() == 7


@pytest.mark.parametrize("version,hyperparameters,message", [
    # silent: accepted up to 1.0-1, gone from 1.2-1
    ("1.2-1", {"num_round": "5", "silent": "0"}, "UserError: Extraneous hyperparameter found: silent"),
    ("1.0-1", {"num_round": "5", "silent": "2"}, "UserError: Hyperparameter silent: 2 is not in [0, 1]"),
    # aliases from 0.90-2
    ("0.90-1", {"num_round": "5", "learning_rate": "0.1"}, "Extraneous hyperparameter found: learning_rate"),
    ("1.7-1", {"num_round": "5", "learning_rate": "1.5"}, "Hyperparameter eta: 1.5 is not in [0, 1]"),
    ("1.0-1", {"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
    ("1.7-1", {"num_round": "5", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
    ("1.0-1", {"num_round": "5", "booster": "forest"},
     "Hyperparameter booster: forest is not in ['gbtree', 'gblinear', 'dart']"),
    ("1.0-1", {"num_round": "5", "tree_method": "gpu_hist"}, "UserError: GPU training is not supported yet."),
    ("1.7-1", {"num_round": "5", "objective": "reg:absoluteerror"}, "Hyperparameter objective: reg:absoluteerror is not in"),
    ("1.0-1", {"num_round": "5", "objective": "multi:softmax"},
     "Require input for parameter 'num_class' for multi-classification"),
    ("1.0-1", {"num_round": "5", "objective": "reg:squarederror", "eval_metric": "auc"},
     "Metric 'auc' can only be applied for classification and ranking problems."),
    ("1.0-1", {"num_round": "5", "eval_metric": "rmse,bogus"}, "Hyperparameter eval_metric: value ['rmse', 'bogus'] "
     "not in range ['accuracy', 'auc', 'aucpr', 'f1', 'map', 'ndcg', 'cox-nloglik', "),
    ("1.3-1", {"num_round": "5", "eval_metric": "rmse@2"}, "Metric 'rmse@2' is not supported. Parameter 'eval_metric' "
     "with customized threshold should be one of these options: 'error', 'ndcg', 'map'."),
    # 1.2 and later read the objective for any eval_metric: without one the container fails on the lookup
    ("1.5-1", {"num_round": "5", "eval_metric": "rmse"}, "framework error: \nKeyError: 'objective'"),
    ("1.3-1", {"num_round": "5", "objective": "reg:squarederror", "eval_metric": "aft-nloglik"},
     "Metric 'aft-nloglik' can only be applied for 'survival:aft' objective."),
    ("1.0-1", {"num_round": "5", "monotone_constraints": "(1,-1,0)"},
     "monotone_constraints can be used only when the tree_method parameter is set to either 'exact' or 'hist'."),
    ("1.0-1", {"num_round": "5", "_tuning_objective_metric": "validation:r2"},
     "Hyperparameter _tuning_objective_metric: validation:r2 is not in ['validation:accuracy', "),
    ("1.0-1", {"num_round": "5", "updater": "grow_colmaker,grow_histmaker"},
     "Only one tree grow plugin can be selected."),
])
def test_hyperparameters_fail_with_the_container_s_text(settings, version, hyperparameters, message):
    with pytest.raises(JobFailed) as failed:
        run_training_job(settings, "job-bad", training_request(image(version), hyperparameters))
    assert failed.value.reason.startswith("AlgorithmError: framework error: \n")
    assert message in failed.value.reason


@pytest.mark.parametrize("version,hyperparameters", [
    ("1.0-1", {"num_round": "5", "learning_rate": "0.3", "reg_lambda": "2", "csv_weights": "0",
               "_tuning_objective_metric": "validation:rmse", "eval_metric": "rmse", "objective": "reg:squarederror",
               "save_model_on_termination": "false", "verbosity": "0"}),
    ("1.7-1", {"num_round": "5", "min_split_loss": "0.1", "reg_alpha": "0.5", "objective": "reg:squarederror",
               "eval_metric": "rmse,mae", "tree_method": "hist", "monotone_constraints": "(1,-1,0)"}),
])
def test_names_the_container_accepts_train(settings, version, hyperparameters):
    job = run_training_job(settings, "job-names", training_request(image(version), hyperparameters))
    assert job["TrainingJobStatus"] == "Completed"


def test_an_unknown_container_version_is_refused_by_name(settings):
    with pytest.raises(JobFailed, match="names no XGBoost container version the runtime knows"):
        run_training_job(settings, "job-unknown", training_request(image("0.72-1"), {"num_round": "5"}))


def put(settings: Settings, key: str, body: bytes) -> None:
    LocalS3(settings.s3_root).write_bytes(f"s3://data/{key}", body)


def test_no_content_type_means_libsvm(settings):
    put(settings, "train/train.csv", b"")  # the CSV fixture would not parse as libsvm
    put(settings, "train/train.libsvm", b"".join(f"{i % 2} 1:{i} 3:{i * 0.5}\n".encode() for i in range(40)))
    job = run_training_job(settings, "job-libsvm", training_request(image("1.7-1"), {"num_round": "3"},
                                                                    {"train": None}))
    booster = xgboost.Booster()
    booster.load_model(bytearray(model_file(settings, job)))
    assert booster.num_features() == 4  # libsvm indices 1 and 3, column 0 included


def test_csv_empty_fields_are_missing_values_as_xgboost_reads_them(settings):
    rows = [f"{i % 2},{'' if i % 3 == 0 else i},{i * 0.5}" for i in range(60)]
    put(settings, "train/train.csv", "\n".join(rows).encode())
    job = run_training_job(settings, "job-missing-values",
                           training_request(image("1.7-1"), {"num_round": "2"}, {"train": "text/csv"}))
    assert job["TrainingJobStatus"] == "Completed"


@pytest.mark.parametrize("content_type,message", [
    ("text/csv; label_size=1", "Channel configuration for 'train' channel is not supported: {'ContentType': "
                               "'text/csv; label_size=1', 'TrainingInputMode': 'File'"),
    ("application/json", "Channel configuration for 'train' channel is not supported"),
])
def test_content_types_the_container_refuses(settings, content_type, message):
    with pytest.raises(JobFailed) as failed:
        run_training_job(settings, "job-type", training_request(image("1.7-1"), {"num_round": "2"},
                                                                {"train": content_type}))
    assert message in failed.value.reason


def test_parquet_and_recordio_protobuf_train_the_same_model_as_csv(settings, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sagelocal.jobs.xgb_container.recordio import write_record

    rng = np.random.default_rng(3)
    features = rng.normal(size=(80, 3)).astype(np.float32)
    labels = (features[:, 0] > 0).astype(np.float32)
    table = np.column_stack([labels, features])
    put(settings, "csv/train.csv", "\n".join(",".join(repr(float(v)) for v in row) for row in table).encode())
    pq.write_table(pa.table({f"c{i}": table[:, i] for i in range(4)}), tmp_path / "train.parquet")
    put(settings, "parquet/train.parquet", (tmp_path / "train.parquet").read_bytes())
    put(settings, "recordio/train.rec", b"".join(write_record(row, label) for row, label in zip(features, labels)))
    predictions = {}
    for key, content_type in (("csv", "text/csv"), ("parquet", "application/x-parquet"),
                              ("recordio", "application/x-recordio-protobuf")):
        request = training_request(image("1.7-1"), {"num_round": "4", "objective": "binary:logistic"},
                                   {"train": content_type})
        request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://data/{key}"
        job = run_training_job(settings, f"job-{key}", request)
        booster = xgboost.Booster()
        booster.load_model(bytearray(model_file(settings, job)))
        predictions[key] = booster.inplace_predict(features)
    np.testing.assert_allclose(predictions["parquet"], predictions["csv"], rtol=1e-6)
    np.testing.assert_allclose(predictions["recordio"], predictions["csv"], rtol=1e-6)


def test_csv_weights_reads_the_second_column_as_instance_weights(settings):
    rows = [f"{i % 2},{1 + i % 3},{i}" for i in range(50)]
    put(settings, "train/train.csv", "\n".join(rows).encode())
    job = run_training_job(settings, "job-weights", training_request(
        image("1.0-1"), {"num_round": "2", "csv_weights": "1"}, {"train": "text/csv"}))
    assert pickle.loads(model_file(settings, job)).num_features() == 1


def test_recordio_reader_decodes_record_proto_wire_bytes():
    """A Record written byte by byte from SageMaker's record.proto field numbers, not by the reader's own writer."""
    import struct

    from sagelocal.jobs.xgb_container.recordio import read_records

    tensor = b"\x0a\x08" + struct.pack("<ff", 1.5, 2.0)        # Float32Tensor.values (1, packed)
    value = b"\x12" + bytes([len(tensor)]) + tensor               # Value.float32_tensor (2)
    entry = b"\x0a\x06values" + b"\x12" + bytes([len(value)]) + value
    record = b"\x0a" + bytes([len(entry)]) + entry                # Record.features (1)
    framed = struct.pack("<II", 0xCED7230A, len(record)) + record + b"\0" * (-len(record) % 4)
    rows, labels = read_records(framed * 2)
    assert [row[0].tolist() for row in rows] == [[1.5, 2.0], [1.5, 2.0]]
    assert np.isnan(labels).all()
