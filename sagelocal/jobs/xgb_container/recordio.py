"""SageMaker's RecordIO-protobuf: RecordIO frames (MXNet's: magic, then a length word whose top 3 bits are a
continuation flag, then the payload padded to 4 bytes) each holding one ``aialgs.data.Record`` protobuf message,
whose ``features["values"]`` and ``label["values"]`` are dense or sparse (``keys`` + ``shape``) tensors."""
from __future__ import annotations

import struct

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_MAGIC = 0xCED7230A


def _record_class():
    """The Record message, declared from SageMaker's record.proto (aialgs.data) field numbers."""
    proto = descriptor_pb2.FileDescriptorProto(name="sagelocal_record.proto", package="aialgs.data", syntax="proto2")
    label = descriptor_pb2.FieldDescriptorProto
    for name, scalar in (("Float32Tensor", label.TYPE_FLOAT), ("Float64Tensor", label.TYPE_DOUBLE),
                         ("Int32Tensor", label.TYPE_INT32)):
        tensor = proto.message_type.add(name=name)
        tensor.field.add(name="values", number=1, type=scalar, label=label.LABEL_REPEATED).options.packed = True
        tensor.field.add(name="keys", number=2, type=label.TYPE_UINT64, label=label.LABEL_REPEATED).options.packed = True
        tensor.field.add(name="shape", number=3, type=label.TYPE_UINT64, label=label.LABEL_REPEATED).options.packed = True
    raw = proto.message_type.add(name="Bytes")
    raw.field.add(name="value", number=1, type=label.TYPE_BYTES, label=label.LABEL_REPEATED)
    raw.field.add(name="content_type", number=2, type=label.TYPE_STRING, label=label.LABEL_OPTIONAL)
    value = proto.message_type.add(name="Value")
    value.oneof_decl.add(name="value")
    for name, number, type_name in (("float32_tensor", 2, "Float32Tensor"), ("float64_tensor", 3, "Float64Tensor"),
                                    ("int32_tensor", 7, "Int32Tensor"), ("bytes", 9, "Bytes")):
        value.field.add(name=name, number=number, type=label.TYPE_MESSAGE, label=label.LABEL_OPTIONAL,
                        type_name=f".aialgs.data.{type_name}", oneof_index=0)
    record = proto.message_type.add(name="Record")
    for map_name, number in (("features", 1), ("label", 2)):
        entry = record.nested_type.add(name=f"{map_name.capitalize()}Entry")
        entry.options.map_entry = True
        entry.field.add(name="key", number=1, type=label.TYPE_STRING, label=label.LABEL_OPTIONAL)
        entry.field.add(name="value", number=2, type=label.TYPE_MESSAGE, label=label.LABEL_OPTIONAL,
                        type_name=".aialgs.data.Value")
        record.field.add(name=map_name, number=number, type=label.TYPE_MESSAGE, label=label.LABEL_REPEATED,
                         type_name=f".aialgs.data.Record.{map_name.capitalize()}Entry")
    record.field.add(name="uuid", number=3, type=label.TYPE_STRING, label=label.LABEL_OPTIONAL)
    record.field.add(name="metadata", number=4, type=label.TYPE_STRING, label=label.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("aialgs.data.Record"))


Record = _record_class()


def frames(data: bytes):
    """The payloads of the RecordIO frames in ``data``."""
    offset = 0
    while offset < len(data):
        if len(data) - offset < 8:
            raise ValueError(f"truncated RecordIO header at byte {offset}")
        magic, word = struct.unpack_from("<II", data, offset)
        if magic != _MAGIC:
            raise ValueError(f"invalid RecordIO magic number at byte {offset}")
        length = word & ((1 << 29) - 1)
        offset += 8
        if offset + length > len(data):
            raise ValueError(f"truncated RecordIO record at byte {offset}")
        yield data[offset:offset + length]
        offset += (length + 3) & ~3


def _tensor(value) -> tuple[np.ndarray, np.ndarray, list[int]]:
    kind = value.WhichOneof("value")
    if kind not in ("float32_tensor", "float64_tensor", "int32_tensor"):
        raise ValueError(f"a Record value holds {kind or 'nothing'}, not a tensor")
    tensor = getattr(value, kind)
    return np.asarray(tensor.values, dtype=np.float64), np.asarray(tensor.keys, dtype=np.int64), list(tensor.shape)


def read_records(data: bytes) -> tuple[list, np.ndarray]:
    """(one feature row per record, as (values, keys, width): keys empty for a dense row; the labels, NaN for a
    record without one)."""
    rows, labels = [], []
    for payload in frames(data):
        record = Record()
        record.ParseFromString(payload)
        features = dict(record.features)
        if "values" not in features:
            raise ValueError("a Record has no features['values']")
        values, keys, shape = _tensor(features["values"])
        rows.append((values, keys, shape[0] if shape else (int(keys.max()) + 1 if keys.size else values.size)))
        label = dict(record.label).get("values")
        labels.append(_tensor(label)[0][0] if label is not None else np.nan)
    return rows, np.asarray(labels, dtype=np.float64)


def feature_matrix(rows: list):
    """A dense array when every row is dense, else a CSR matrix (scipy) of the sparse rows."""
    from scipy.sparse import csr_matrix

    width = max((row[2] for row in rows), default=0)
    if all(keys.size == 0 for _, keys, _ in rows):
        return np.vstack([values for values, _, _ in rows]) if rows else np.empty((0, width))
    data = np.concatenate([values for values, _, _ in rows])
    indices = np.concatenate([keys if keys.size else np.arange(values.size) for values, keys, _ in rows])
    pointers = np.cumsum([0] + [values.size for values, _, _ in rows])
    return csr_matrix((data, indices, pointers), shape=(len(rows), width))


def write_record(features: np.ndarray, label: float | None = None) -> bytes:
    """One dense float32 record, framed: what the SDK's RecordSerializer writes per row."""
    record = Record()
    record.features["values"].float32_tensor.values.extend(np.asarray(features, dtype=np.float32).ravel().tolist())
    if label is not None:
        record.label["values"].float32_tensor.values.append(float(label))
    return _framed(record.SerializeToString())


def write_scores(score: float) -> bytes:
    """One prediction as the built-in algorithms answer in RecordIO-protobuf: ``label["score"]``."""
    record = Record()
    record.label["score"].float32_tensor.values.append(float(score))
    return _framed(record.SerializeToString())


def _framed(payload: bytes) -> bytes:
    return struct.pack("<II", _MAGIC, len(payload)) + payload + b"\0" * (-len(payload) % 4)
