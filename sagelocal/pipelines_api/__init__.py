"""SageMaker Pipelines operations on the local server, served by the offline runner (``sagelocal.engine``)."""
from sagelocal.pipelines_api.backend import PipelinesBackend

__all__ = ["PipelinesBackend"]
