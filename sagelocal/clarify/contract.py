"""The environment through which the runtime hands a Clarify job its model (light: no analysis imports)."""

MODEL_DATA = "SAGELOCAL_CLARIFY_MODEL_DATA"  # the local path of the model's model.tar.gz
MODEL_IMAGE = "SAGELOCAL_CLARIFY_MODEL_IMAGE"  # its serving image, which decides how the archive is opened
# A ClarifyCheck step names its model in the step (ModelName), not in the analysis configuration.
MODEL_NAME = "SAGELOCAL_CLARIFY_MODEL_NAME"
