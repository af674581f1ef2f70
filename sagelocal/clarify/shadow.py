"""The shadow endpoint a Clarify job scores its rows on: here the endpoints' own serving code
(:class:`sagelocal.jobs.serving.XGBoostServer`), fed ``text/csv`` request bodies as Clarify sends them."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sagelocal.clarify.config import ClarifyConfigError
from sagelocal.jobs.serving import ContainerError, XGBoostServer, load_booster, served_version

ROWS_PER_REQUEST = 2000  # well under the 6 MB a real-time request may carry, for 30 float features


class ShadowEndpoint:
    def __init__(self, server: XGBoostServer, predictor: dict):
        for key in ("content_type", "accept_type"):
            media = (predictor.get(key) or "text/csv").split(";")[0].strip()
            if media != "text/csv":
                raise ClarifyConfigError(f"predictor.{key} {predictor[key]!r} is not supported offline: the "
                                         "XGBoost container reads and writes text/csv")
        self.server = server
        self.requests = 0

    @classmethod
    def from_model(cls, model_tar: Path, image_uri: str, predictor: dict) -> "ShadowEndpoint":
        return cls(XGBoostServer(load_booster(Path(model_tar), image_uri), served_version(image_uri)), predictor)

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """One score per row (the model's P(positive) for the XGBoost container).

        Kernel SHAP sends hundreds of thousands of rows; formatting them as CSV and parsing them back was most of
        its time. So the rows go to the serving code as the matrix its CSV parser would make (float32 of the same
        numbers), in requests of the size Clarify sends, and the scores come back as the batch answer would be
        parsed: the same values as through text (tests/clarify/test_explainability.py holds the two equal)."""
        scores = []
        for start in range(0, len(rows), ROWS_PER_REQUEST):
            try:
                scores.append(np.array(self.server.predict_rows(rows[start:start + ROWS_PER_REQUEST]), dtype=float))
            except ContainerError as error:
                raise RuntimeError(f"the shadow endpoint answered {error.status}: {error.message}") from None
            self.requests += 1
        return np.concatenate(scores) if scores else np.empty(0)
