"""The breast-cancer MLOps project and its offline SageMaker runtime, ``sagelocal``."""
from setuptools import Extension, find_packages, setup

setup(
    name="sagelocal",
    version="0.1.0",
    description="Run a SageMaker Pipelines project offline: pipeline, registry, hosting with data capture, "
    "Model Monitor-compatible data-quality checks and A2I-compatible human review.",
    packages=find_packages(include=["sagelocal", "sagelocal.*", "pipelines", "pipelines.*"]),
    package_data={"sagelocal": ["**/*.html", "**/*.css", "**/*.js", "**/*.liquid"]},
    # The monitor's per-value loops (XxHash64, HyperLogLog++ registers, decimal parsing) in plain C.
    ext_modules=[Extension("sagelocal.monitor._kernels", ["sagelocal/monitor/_kernels.c"],
                           extra_compile_args=["-O3"])],
    python_requires=">=3.10",
    # The runtime needs none of the SageMaker SDK: it interprets pipeline.json itself.
    install_requires=[
        "boto3",
        "numpy",
        "pandas",
        "scikit-learn",
        "xgboost",
        "fastapi",
        "uvicorn",
        "httptools",
        "python-liquid",
        "python-multipart",
    ],
    # run-pipeline and get-pipeline-definition: the SageMaker Project template's entry points, for its buildspec.
    entry_points={"console_scripts": ["sagelocal=sagelocal.cli:main", "run-pipeline=pipelines.run_pipeline:main",
                                      "get-pipeline-definition=pipelines.get_pipeline_definition:main"]},
)
