"""AddTags, ListTags and DeleteTags on every resource the server creates, and the Tags given at creation."""
from sagelocal.tagging.backend import TagsBackend

__all__ = ["TagsBackend"]
