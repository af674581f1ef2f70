"""The champion a new pipeline execution is compared with: the model package group's latest Approved version.

Shared by the two commands that start the training pipeline (``run_pipeline_on_aws.py`` and
``steps/review_collect.py``). The evaluation step reads the champion as a processing input, so it must always exist:
``<root>/v<N>/`` holds ``champion.json`` (version, package ARN) and a copy of that version's ``model.tar.gz``;
``<root>/none/`` holds ``champion.json`` with version null. ``<root>`` is the folder of the definition's
``ChampionUrl`` default. With a champion, the execution also checks its data against the champion's registered
drift baseline (``SkipDataQualityCheck=false``).
"""
from __future__ import annotations

import json

from deploy_endpoint import latest_approved_package
from run_pipeline_on_aws import iter_steps, split_s3_uri

CHAMPION_PARAMETER = "ChampionUrl"


def latest_approved(sagemaker, group: str) -> dict | None:
    """DescribeModelPackage of the group's newest Approved version, or None."""
    try:
        return sagemaker.describe_model_package(ModelPackageName=latest_approved_package(sagemaker, group))
    except LookupError:
        return None


def definition_facts(definition: dict) -> tuple[str, str] | None:
    """(model package group, champion root) of a definition that compares with a champion, else None."""
    default = next((p.get("DefaultValue") for p in definition.get("Parameters", [])
                    if p["Name"] == CHAMPION_PARAMETER), None)
    groups = [step["Arguments"]["ModelPackageGroupName"] for step in iter_steps(definition["Steps"])
              if step.get("Type") == "RegisterModel"]
    if not default or not groups:
        return None
    return groups[0], default.rstrip("/").rsplit("/", 1)[0]


def stage(sagemaker, s3, group: str, root: str) -> tuple[str, dict | None]:
    """Write the champion folder for the group's latest Approved version (or for none); return (URI, package)."""
    package = latest_approved(sagemaker, group)
    if package is None:
        folder, described = f"{root}/none", {"version": None}
    else:
        folder = f"{root}/v{package['ModelPackageVersion']}"
        described = {"version": package["ModelPackageVersion"], "model_package_arn": package["ModelPackageArn"]}
        source = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
        bucket, key = split_s3_uri(f"{folder}/model.tar.gz")
        source_bucket, source_key = split_s3_uri(source)
        s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": source_bucket, "Key": source_key})
    bucket, key = split_s3_uri(f"{folder}/champion.json")
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(described).encode())
    return folder, package


def execution_parameters(sagemaker, s3, definition: dict, given: list[dict] = ()) -> tuple[list[dict], str]:
    """The PipelineParameters naming the champion followed by ``given`` (which win), and a line saying who the
    champion is."""
    facts = definition_facts(definition)
    if facts is None:
        return list(given), "this definition compares with no champion"
    folder, package = stage(sagemaker, s3, *facts)
    staged = [{"Name": CHAMPION_PARAMETER, "Value": folder}]
    if package is None:
        who = f"champion: none approved in {facts[0]} (the challenger is judged on its own)"
    else:
        if package.get("DriftCheckBaselines", {}).get("ModelDataQuality"):
            staged.append({"Name": "SkipDataQualityCheck", "Value": "false"})
        who = (f"champion: {facts[0]} version {package['ModelPackageVersion']} (latest Approved), staged at "
               f"{folder}; data checked against its drift baseline")
    names = {parameter["Name"] for parameter in given}
    return [parameter for parameter in staged if parameter["Name"] not in names] + list(given), who
