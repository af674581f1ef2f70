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
        """One score per row (the model's P(positive) for the XGBoost container)."""
        scores = []
        for start in range(0, len(rows), ROWS_PER_REQUEST):
            # repr-exact floats, one CSV line per row (faster than np.savetxt's per-value formatting)
            body = "\n".join(",".join(map(str, row)) for row in rows[start:start + ROWS_PER_REQUEST].tolist())
            try:
                # Batch mode, as Clarify's shadow endpoint is called: one prediction per line whatever the version.
                answer = self.server.invoke("text/csv", body.encode(), batch=True).body
            except ContainerError as error:
                raise RuntimeError(f"the shadow endpoint answered {error.status}: {error.message}") from None
            self.requests += 1
            scores.append(np.array(answer.decode().split(), dtype=float))
        return np.concatenate(scores) if scores else np.empty(0)
