"""The container's failures, worded as it words them."""
from __future__ import annotations


class ContainerFailure(Exception):
    """A failure of the container: ``kind`` is the exception class it raises (the toolkit's UserError or
    AlgorithmError, or a plain Python error where the container itself trips), ``message`` its text."""

    KINDS = {"UserError": "sagemaker_algorithm_toolkit.exceptions.UserError",
             "AlgorithmError": "sagemaker_algorithm_toolkit.exceptions.AlgorithmError",
             "KeyError": "KeyError"}

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def failure_text(self) -> str:
        """/opt/ml/output/failure as sagemaker-containers' trainer writes it for an exception out of the
        algorithm: ``framework error: \\n<traceback>\\n<message>``; the traceback is reduced to its last line."""
        return f"framework error: \n{self.KINDS[self.kind]}: {self.message}\n\n{self.message}"


def user_error(message: str) -> ContainerFailure:
    return ContainerFailure("UserError", message)
