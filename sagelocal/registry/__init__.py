"""The model registry: model package groups and their versioned model packages, in SQLite."""
from sagelocal.registry.backend import RegistryBackend

__all__ = ["RegistryBackend"]
