"""Real-time endpoints: models, endpoint configs, endpoints, the XGBoost serving contract, data capture."""
from sagelocal.hosting.backend import HostingBackend

__all__ = ["HostingBackend"]
