"""sagelocal: an offline runtime for SageMaker Pipelines, hosting, Model Monitor and A2I."""

__version__ = "0.1.0"
