"""The pipeline registry: the pipelines CreatePipeline made (definitions, versions) and the start of their
executions, for the SageMaker Pipelines operations of the local server. Executions run in ``sagelocal.engine``."""
from sagelocal.pipeline_registry.backend import PipelineRegistryBackend

__all__ = ["PipelineRegistryBackend"]
