"""The breast-cancer XGBoost pipeline: ``get_pipeline`` builds it (see ``pipeline.py``)."""
