"""Human review compatible with Amazon A2I: task UIs, flow definitions, workteams, human loops, the portal."""
from sagelocal.review.backend import ReviewBackend

__all__ = ["ReviewBackend"]
