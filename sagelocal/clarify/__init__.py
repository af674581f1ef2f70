"""SageMaker Clarify's processing container, as a library: bias metrics (by ``smclarify``, AWS's own
implementation), Kernel SHAP (by ``shap``), the analysis.json / report / local SHAP outputs, and the drift checks
that compare an analysis with a baseline. No web or AWS imports: the model is reached through a predict function
(:mod:`sagelocal.clarify.shadow` builds one on the endpoints' own serving code)."""
