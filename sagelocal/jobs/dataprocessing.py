"""A transform job's DataProcessing, record by record, as SageMaker applies it:

1. ``InputFilter`` (JSONPath) picks what of each input record the model sees;
2. ``JoinSource: Input`` joins each prediction to its *whole* input record: a CSV record gets the prediction's
   fields appended, a JSON object gets it under ``SageMakerOutput`` (a JSON array gets it appended);
3. ``OutputFilter`` (JSONPath) picks what of the (joined) record is written.

A CSV record is treated as a JSON array of its fields (``$[1:]`` drops the first column); a JSON or JSON Lines
record as the JSON value it holds. With ``DataCaptureConfig.GenerateInferenceId`` every written record also
carries its inference id and time (CSV: two more fields; JSON: ``SageMakerInferenceId``/``SageMakerInferenceTime``).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from sagelocal.jobs.jsonpath import JsonPath, JsonPathError

CSV_TYPES = ("text/csv",)
JSON_TYPES = ("application/json", "application/jsonlines", "application/x-jsonlines")
JOINED_OUTPUT_KEY = "SageMakerOutput"


class DataProcessingError(ValueError):
    """A record the filters or the join cannot handle; the transform job fails with this reason."""


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


@dataclass
class RecordCodec:
    """How the records of one content type are read as JSON values and written back."""

    media: str

    @property
    def is_csv(self) -> bool:
        return self.media in CSV_TYPES

    def decode(self, record: bytes):
        text = record.decode("utf-8")
        if self.is_csv:
            rows = list(csv.reader(io.StringIO(text)))
            if len(rows) != 1:
                raise DataProcessingError(f"a CSV record must be one line, got {len(rows)}: {text[:80]!r}")
            return rows[0]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise DataProcessingError(f"a record is not JSON ({error.msg}): {text[:80]!r}") from None

    def encode(self, value) -> bytes:
        if self.is_csv:
            fields = value if isinstance(value, list) else [value]
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow([_csv_field(f) for f in fields])
            return buffer.getvalue().encode()
        return json.dumps(value, separators=(",", ":")).encode()


def _csv_field(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


@dataclass
class DataProcessing:
    """The DataProcessing of one transform job, for records of the input's ContentType and the output's Accept."""

    input_filter: JsonPath
    output_filter: JsonPath
    join_input: bool
    inputs: RecordCodec
    outputs: RecordCodec

    @classmethod
    def from_request(cls, request: dict, content_type: str | None, accept: str | None) -> "DataProcessing":
        spec = request.get("DataProcessing") or {}
        try:
            processing = cls(JsonPath(spec.get("InputFilter") or "$"), JsonPath(spec.get("OutputFilter") or "$"),
                             spec.get("JoinSource", "None") == "Input", RecordCodec(media_type(content_type)),
                             RecordCodec(media_type(accept or content_type)))
        except JsonPathError as error:
            raise DataProcessingError(str(error)) from None
        if processing.active:
            for codec, what in ((processing.inputs, "TransformInput.ContentType"),
                                (processing.outputs, "TransformOutput.Accept")):
                if codec.media not in CSV_TYPES + JSON_TYPES:
                    raise DataProcessingError(f"DataProcessing needs CSV or JSON records; {what} is "
                                              f"{codec.media or 'not set'!r}")
        return processing

    @property
    def active(self) -> bool:
        return self.join_input or not self.input_filter.is_root or not self.output_filter.is_root

    @property
    def filters_input(self) -> bool:
        return not self.input_filter.is_root

    def model_input(self, record: bytes) -> bytes:
        """What the model is sent for one input record."""
        try:
            return self.inputs.encode(self.input_filter.select(self.inputs.decode(record)))
        except JsonPathError as error:
            raise DataProcessingError(f"InputFilter: {error}") from None

    def written(self, record: bytes, prediction: bytes, inference: tuple[str, str] | None) -> bytes:
        """The output record for one input record and its prediction."""
        output = self.outputs.decode(prediction)
        if self.join_input:
            output = self._joined(self.inputs.decode(record), output, prediction)
        try:
            output = self.output_filter.select(output)
        except JsonPathError as error:
            raise DataProcessingError(f"OutputFilter: {error}") from None
        if inference is not None:
            output = self._with_inference_id(output, inference)
        return (self.inputs if self.join_input else self.outputs).encode(output)

    def _joined(self, source, output, prediction: bytes):
        if self.inputs.is_csv:
            return source + (output if isinstance(output, list) else [output])
        if isinstance(source, dict):
            return {**source, JOINED_OUTPUT_KEY: output}
        if isinstance(source, list):
            return source + [output]
        raise DataProcessingError(f"JoinSource Input: the input record {source!r} is neither an object nor an "
                                  f"array, so the prediction {prediction[:80]!r} cannot be joined to it")

    def _with_inference_id(self, output, inference: tuple[str, str]):
        codec = self.inputs if self.join_input else self.outputs
        if codec.is_csv:
            return (output if isinstance(output, list) else [output]) + list(inference)
        if isinstance(output, dict):
            return {**output, "SageMakerInferenceId": inference[0], "SageMakerInferenceTime": inference[1]}
        return (output if isinstance(output, list) else [output]) + list(inference)
