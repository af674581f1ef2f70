"""SageMaker pipeline definitions of this project, one package per pipeline."""
