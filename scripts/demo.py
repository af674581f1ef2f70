"""The whole loop on one machine, with no AWS account: ``make demo``.

Starts ``sagelocal serve`` and then drives it only through the project's own AWS scripts and boto3, exactly as
against AWS (only ``--endpoint-url`` differs):

1. the breast-cancer data set to S3 (1 = malignant, split once: train, validation, a frozen gold set, a
   production slice); ``run_pipeline_on_aws.py`` uploads the step scripts, upserts ``pipeline.json`` and runs it
   (preprocess → train XGBoost → evaluate on the gold rows → data-quality baseline → register);
2. approve the new model version, ``deploy_endpoint.py`` with data capture at 100 %, ``send_traffic.py`` with
   the production slice (the only traffic; InferenceId = row id), and a few malformed requests, which the
   endpoint refuses;
3. ``setup_monitoring.py`` schedules hourly Model Monitor runs against the registered baseline (built on what
   the capture holds); one runs now on the normal traffic: Completed, no violation;
4. a workteam, ``setup_review.py`` and a reviewer; ``steps/review_start.py`` sends the predictions with
   0.1 < P(malignant) < 0.9 to people;
5. a drifted batch (texture features read 60 % higher, as after a scanner recalibration) and a second
   monitoring run: baseline_drift_check on those features, in the report and the metrics.
   With a terminal you review in the browser; without one (CI, ``</dev/null``) a scripted reviewer who knows the
   true labels answers through the same portal pages;
6. ``steps/review_collect.py`` replaces the reviewed cases' labels, writes Model Monitor ground truth and
   retrains, checking the new data for drift against the champion's registered baseline; the evaluation step
   judges the new version against the approved champion on the same gold rows;
7. ``setup_monitoring.py model-quality``: a model-quality baseline on the deployed version's gold-set predictions
   and a one-off ModelQuality schedule that merges the capture with the reviewers' ground truth.

Everything lands under ``--home`` (wiped first): ``s3/`` is S3, one folder per bucket.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import httpx
import pandas as pd
from sklearn.metrics import roc_auc_score

from sagelocal.credentials import client_kwargs
from sagelocal.config import Settings
from sagelocal.hosting import HostingBackend
from sagelocal.registry import RegistryBackend
from sagelocal.schedules import SchedulesBackend

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "steps"))
from review_start import capture_records, loop_name, prediction  # noqa: E402  (a step script, not a package)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deploy_endpoint import latest_approved_package  # noqa: E402
from make_input_data import breast_cancer_frame  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REGION, ACCOUNT = "us-east-1", "000000000000"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"
PIPELINE = "BreastCancerXGBoost"
GROUP = "breast-cancer-xgboost"
ENDPOINT = "breast-cancer-xgboost"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole"
A2I_ROLE = f"arn:aws:iam::{ACCOUNT}:role/A2IRole"
INPUT_URI = f"s3://{BUCKET}/{PIPELINE}/input/breast-cancer.csv"
CAPTURE_URI = f"s3://{BUCKET}/{PIPELINE}/datacapture"
MONITORING_URI = f"s3://{BUCKET}/{PIPELINE}/monitoring"
REVIEW_URI = f"s3://{BUCKET}/{PIPELINE}/a2i-results"
RETRAINING_URI = f"s3://{BUCKET}/{PIPELINE}/retraining"
GROUND_TRUTH_URI = f"s3://{BUCKET}/{PIPELINE}/ground-truth"
MODEL_QUALITY_URI = f"s3://{BUCKET}/{PIPELINE}/model-quality"
SCHEDULE = "breast-cancer-data-quality"
QUALITY_SCHEDULE = "breast-cancer-model-quality"
# The server checks for due schedules this often: a one-off (NOW) schedule runs within a second.
SCHEDULER_TICK_SECONDS = "1"
# The documented drift: a scanner recalibrated so that texture reads 60 % higher. The capture puts the
# model's output in _c0, so feature i of the 30 is _c{i + 1}: mean texture is _c2, worst texture _c22.
DRIFT = {"mean texture": 1.6, "worst texture": 1.6}
REVIEWER = "alice"
BAND = (0.1, 0.9)  # predictions with lower < P(malignant) < upper go to people
STATE_FILE = "demo.json"  # where `make retrain` finds the running demo
# Requests the endpoint must refuse: too few features, and a word where a number belongs.
MALFORMED_ROWS = ("1.0,2.0,3.0", ",".join(["12.5"] * 29 + ["large"]))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TASK_LINK = re.compile(r'href="/portal/tasks/([a-z0-9-]+)"')


class Demo:
    """The server process (when this run started it), the environment the scripts run in, and boto3 clients
    for the few direct calls."""

    def __init__(self, home: Path, url: str, server: subprocess.Popen | None = None):
        self.home, self.url, self.server = home, url, server
        self.env = {**os.environ, "SAGELOCAL_HOME": str(home), "AWS_PROFILE": "sagelocal",
                    "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"), "AWS_CONFIG_FILE": os.devnull,
                    "AWS_EC2_METADATA_DISABLED": "true", "PYTHONUNBUFFERED": "1"}
        for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
            self.env.pop(variable, None)
        self.connection = ["--endpoint-url", self.url, "--region", REGION]
        connection = client_kwargs(Settings(home=home), self.url)
        self.s3, self.sagemaker, self.runtime = (boto3.client(service, **connection)
                                                 for service in ("s3", "sagemaker", "sagemaker-runtime"))

    @classmethod
    def start(cls, home: Path, port: int) -> "Demo":
        """Start ``sagelocal serve`` on ``home`` (its output goes to ``home/server.log``) and wait for it."""
        log = home / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen([sys.executable, "-m", "sagelocal", "serve", "--port", str(port)],
                                      env={**os.environ, "SAGELOCAL_HOME": str(home),
                                           "SAGELOCAL_SCHEDULER_TICK": SCHEDULER_TICK_SECONDS}, cwd=ROOT,
                                      stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"demo: the server exited with status {server.returncode}; see {log}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return cls(home, f"http://127.0.0.1:{port}", server)
            time.sleep(0.1)
        server.kill()
        raise SystemExit(f"demo: the server did not start within 30 s; see {log}")

    def run(self, script: str, *args: str, profile: bool = True) -> str:
        """Run a project script as a user would, print its output, and return it."""
        command = [sys.executable, str(ROOT / script), *args, *self.connection]
        if profile:
            command += ["--profile", "sagelocal"]
        done = subprocess.run(command, env=self.env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        print(indent(done.stdout))
        if done.returncode != 0:
            raise SystemExit(f"demo: {script} failed with status {done.returncode}")
        return done.stdout

    def sagelocal(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "sagelocal", *args], env=self.env, cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
        if done.returncode not in (0, 3):  # 3: a monitoring run that found violations
            raise SystemExit(f"demo: sagelocal {' '.join(args)} failed with status {done.returncode}")
        return done.stdout

    def stop(self) -> None:
        if self.server is None:
            return
        self.server.terminate()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.server.kill()


def indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.rstrip().splitlines())


def heading(text: str) -> None:
    print(f"\n== {text}", flush=True)


def free_port(preferred: int) -> int:
    """``preferred`` when it is free, otherwise (or when it is 0) a port the system picks."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train_and_register(demo: Demo, baseline_first_column: str) -> dict:
    heading("1. Train: the data split once, pipeline.json run offline (the same definition runs on SageMaker)")
    demo.s3.create_bucket(Bucket=BUCKET)
    made = subprocess.run([sys.executable, str(ROOT / "scripts/make_input_data.py"), "--s3-root",
                           str(demo.home / "s3"), INPUT_URI], env=demo.env, check=True, stdout=subprocess.PIPE,
                          text=True).stdout
    print(f"    input: {INPUT_URI}\n    {made.split(': ', 1)[1].strip()}")
    demo.run("scripts/run_pipeline_on_aws.py", "--definition", "pipeline.json", "--wait",
             "--param", f"BaselineFirstColumn={baseline_first_column}", profile=False)
    package = latest_package(demo)
    container = package["InferenceSpecification"]["Containers"][0]
    print(f"    registered {package['ModelPackageArn']} ({package['ModelApprovalStatus']})")
    print(f"    model artifact: {container['ModelDataUrl']}")
    classes = package["CustomerMetadataProperties"]
    print(f"    classes travel with the package: label 1 = {classes['Label1']}, label 0 = {classes['Label0']} "
          "(CustomerMetadataProperties)")
    uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    evaluation = json.loads(read(demo, uri))
    named = evaluation["champion_challenger"]["challenger"]["metrics"]
    print(f"    evaluation: {uri}\n    on the {evaluation['gold_set']['rows']} gold rows (gold set "
          f"{evaluation['gold_set']['version']}): "
          + ", ".join(f"{name.replace('_', ' ')} {value:.4f}" for name, value in named.items()))
    return package


def latest_package(demo: Demo) -> dict:
    package = demo.sagemaker.list_model_packages(ModelPackageGroupName=GROUP, SortBy="CreationTime",
                                                 SortOrder="Descending")["ModelPackageSummaryList"][0]
    return demo.sagemaker.describe_model_package(ModelPackageName=package["ModelPackageArn"])


def read(demo: Demo, uri: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return demo.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def captured(demo: Demo) -> list[dict]:
    return [row for row in map(prediction, capture_records(demo.s3, f"{CAPTURE_URI}/{ENDPOINT}")) if row is not None]


def deploy_and_send_traffic(demo: Demo, package: dict) -> None:
    heading("2. Serve: approve, deploy with data capture, send the production slice (the only traffic)")
    demo.sagemaker.update_model_package(ModelPackageArn=package["ModelPackageArn"], ModelApprovalStatus="Approved")
    print(f"    approved {package['ModelPackageArn']}")
    demo.run("scripts/deploy_endpoint.py", "--role", ROLE, "--capture-uri", CAPTURE_URI,
             "--sampling-percentage", "100", "--poll-seconds", "0.5")
    demo.run("scripts/send_traffic.py", INPUT_URI)
    for row in MALFORMED_ROWS:
        try:
            demo.runtime.invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", Body=row)
            print(f"    unexpected: the endpoint accepted the malformed row {row!r}")
        except demo.runtime.exceptions.ModelError as error:
            print(f"    refused a malformed row: {error.response['Error']['Message'][:110]}")
    splits = breast_cancer_frame().set_index("row_id")["split"]
    sent = [splits.get(row.get("inferenceId"), "none") for row in captured(demo)]
    print(f"    captured under {CAPTURE_URI}/{ENDPOINT}/AllTraffic/yyyy/mm/dd/hh/: {len(sent)} inferences, "
          f"{sent.count('production')} production rows by inferenceId, {sent.count('gold')} gold rows")


def run_monitoring(demo: Demo, label: str) -> None:
    """One execution of the schedule now: its status, violations, HTML report and drift metrics."""
    print(indent(demo.sagelocal("monitor", "run-schedule", SCHEDULE, "--now")))
    # What `sagelocal monitor executions --json` prints, read in this process (a second interpreter costs seconds).
    settings = Settings(home=demo.home)
    execution = SchedulesBackend(settings, HostingBackend(settings, RegistryBackend(settings))).execution_reports(
        SCHEDULE)[0]
    print(f"    {label}: {execution['MonitoringExecutionStatus']}")
    report_uri = execution["ReportUri"]
    violations = json.loads(read(demo, f"{report_uri}/constraint_violations.json")).get("violations", [])
    for violation in violations:
        print(f"    violation {violation['constraint_check_type']} on {violation['feature_name']}: "
              f"{violation['description'][:120]}")
    for metric in execution["Metrics"]:
        if "baseline_drift" in metric["MetricName"] and metric["Value"] > 0:
            print(f"    metric {metric['MetricName']} = {metric['Value']:.4f}")
    report = demo.home / "s3" / report_uri.removeprefix("s3://") / "report.html"
    print(f"    HTML report: {report}")


def monitor(demo: Demo, package: dict, baseline_first_column: str) -> None:
    heading("3. Monitor: an hourly data-quality schedule against the registered baseline, run once now")
    baseline = package["ModelMetrics"]["ModelDataQuality"]
    print("    the baseline holds what the capture holds: P(malignant) on the training rows (_c0), then the features"
          if baseline_first_column == "prediction" else
          "    the walkthrough's baseline: the label in _c0 where the capture holds P(malignant)")
    demo.run("scripts/setup_monitoring.py", "model-monitor", "--role", ROLE, "--report-uri", MONITORING_URI,
             "--statistics-uri", baseline["Statistics"]["S3Uri"],
             "--constraints-uri", baseline["Constraints"]["S3Uri"])
    run_monitoring(demo, "normal traffic")


def start_review(demo: Demo) -> tuple[str, str]:
    heading(f"4. Review: predictions with {BAND[0]} < P(malignant) < {BAND[1]} go to people")
    team = demo.sagemaker.create_workteam(
        WorkteamName="reviewers", Description="Breast-cancer prediction reviewers",
        MemberDefinitions=[{"CognitoMemberDefinition": {"UserPool": f"{REGION}_sagelocal", "UserGroup": "reviewers",
                                                        "ClientId": "sagelocal-portal"}}])["WorkteamArn"]
    output = demo.run("scripts/setup_review.py", "--workteam-arn", team, "--role", A2I_ROLE,
                      "--output-uri", REVIEW_URI, "--template",
                      "sagelocal/review/templates/breast-cancer-review.liquid.html", "--poll-seconds", "0.2")
    flow_arn = re.search(r"flow definition (\S+):", output).group(1)
    added = demo.sagelocal("review", "workers", "add", REVIEWER, "--team", "reviewers")
    password = re.search(r"one-time password \(shown only now, stored hashed\): (\S+)", added).group(1)
    demo.run("steps/review_start.py", "--capture-uri", f"{CAPTURE_URI}/{ENDPOINT}",
             "--flow-definition-arn", flow_arn, "--lower", str(BAND[0]), "--upper", str(BAND[1]), "--model-package-group", GROUP,
             "--explain")
    return flow_arn, password


def drift(demo: Demo) -> None:
    heading("5. Drift: a batch from a recalibrated scanner (texture reads 60 % higher), monitored again")
    demo.run("scripts/send_traffic.py", INPUT_URI, *[part for name, factor in DRIFT.items()
                                                     for part in ("--scale", f"{name}={factor}")])
    run_monitoring(demo, "normal + drifted traffic")


def answer_as_scripted_reviewer(demo: Demo, password: str) -> None:
    """Sign in to the portal and answer every task with the case's true label (found by its inferenceId, the
    row id), as a careful reviewer would."""
    truth = breast_cancer_frame().set_index("row_id")["label"]
    events = {loop_name(row["eventId"]): row for row in captured(demo)}
    client = httpx.Client(base_url=demo.url)
    form = client.get("/portal/sign-in")
    client.post("/portal/sign-in", data={"username": REVIEWER, "password": password,
                                         "csrf": CSRF.search(form.text).group(1)})
    # The one-time password is spent: the portal asks for the reviewer's own password first.
    chosen = secrets.token_urlsafe(12) + "-A1a"
    form = client.get("/portal/password")
    client.post("/portal/password", data={"password": chosen, "confirm": chosen,
                                          "csrf": CSRF.search(form.text).group(1)})
    answered = corrected = 0
    for loop in TASK_LINK.findall(client.get("/portal/tasks").text):
        page = client.get(f"/portal/tasks/{loop}").text
        row = events[loop]
        predicted = 1 if row["probability"] >= 0.5 else 0
        agree = int(truth[row["inferenceId"]]) == predicted
        answer = {"verdict1": {"agree": agree, "correct": not agree},
                  "reason1": "as the recorded diagnosis" if agree else "the recorded diagnosis differs"}
        done = client.post(f"/portal/tasks/{loop}/submit", data={"csrf": CSRF.search(page).group(1),
                                                                 "answerContent": json.dumps(answer)})
        answered += done.status_code == 303
        corrected += done.status_code == 303 and not agree
    print(f"    the scripted reviewer {REVIEWER} answered {answered} tasks in the portal ({corrected} corrections)")


def collect_and_retrain(demo: Demo, flow_arn: str, baseline_first_column: str) -> None:
    heading("6. Retrain on what the reviewers decided; the new version against the approved champion")
    demo.run("steps/review_collect.py", "--flow-definition-arn", flow_arn, "--input-uri", INPUT_URI,
             "--output-uri", RETRAINING_URI, "--ground-truth-uri", GROUND_TRUTH_URI, "--poll-seconds", "0.5",
             # The same kind of baseline as the champion's, or the drift check would compare unlike columns.
             "--param", f"BaselineFirstColumn={baseline_first_column}")


def monitor_model_quality(demo: Demo) -> None:
    heading("7. Model quality: the reviewers' labels as ground truth for the version the endpoint serves")
    package = demo.sagemaker.describe_model_package(ModelPackageName=latest_approved_package(demo.sagemaker, GROUP))
    evaluation = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    gold = f"{evaluation.rsplit('/', 1)[0]}/gold-predictions.csv"
    print(f"    baseline: version {package['ModelPackageVersion']}'s P(malignant) on the gold rows, {gold}")
    for gone in (lambda: demo.sagemaker.delete_monitoring_schedule(MonitoringScheduleName=QUALITY_SCHEDULE),
                 lambda: demo.sagemaker.delete_model_quality_job_definition(JobDefinitionName=QUALITY_SCHEDULE)):
        try:  # a second `make retrain` checks again, with the labels given since
            gone()
        except demo.sagemaker.exceptions.ResourceNotFound:
            pass
    output = demo.run("scripts/setup_monitoring.py", "model-quality", "--role", ROLE, "--report-uri",
                      MODEL_QUALITY_URI, "--baseline-dataset", gold, "--ground-truth-uri", GROUND_TRUTH_URI,
                      "--schedule-name", QUALITY_SCHEDULE, "--now", "--poll-seconds", "0.5")
    if ": CompletedWithViolations" in output:
        print(indent(why_quality_looks_lower(pd.read_csv(io.BytesIO(read(demo, gold))))))


def why_quality_looks_lower(gold: pd.DataFrame) -> str:
    """The reading of a model-quality run on the reviewed cases: they are a selected population, so compare them
    with the gold rows of the same band rather than with the whole gold set."""
    band = gold[(gold["probability"] > BAND[0]) & (gold["probability"] < BAND[1])]
    accuracy = ((band["probability"] > 0.5) == band["label"]).mean()  # the monitor's rule: above the threshold
    auc = roc_auc_score(band["label"], band["probability"]) if band["label"].nunique() == 2 else float("nan")
    return (f"why the violations: ground truth exists only for the reviewed cases, the uncertain ones "
            f"({BAND[0]} < P(malignant) < {BAND[1]}), while the baseline's thresholds are the model's own values on "
            f"all {len(gold)} gold rows (Model Monitor's suggested constraints).\nOn the {len(band)} gold rows in "
            f"the same band the model has accuracy {accuracy:.4f}, AUC {auc:.4f}: what the reviewed cases should be "
            "compared with.")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=ROOT / ".sagelocal" / "demo",
                        help="where the demo's S3 folders and state go (wiped first)")
    parser.add_argument("--port", type=int, default=8080, help="the server's port (another free one if taken)")
    parser.add_argument("--review", choices=("browser", "scripted"),
                        default="browser" if sys.stdin.isatty() else "scripted",
                        help="who answers the review tasks (default: you in the browser when there is a terminal)")
    parser.add_argument("--walkthrough-baseline", action="store_const", const="label", default="prediction",
                        dest="baseline_first_column",
                        help="baseline the label column as the walkthrough does (Model Monitor then reports a "
                             "data_type_check on _c0 for every run, normal traffic too)")
    parser.add_argument("--retrain", action="store_true",
                        help="the second command (make retrain): collect the answers given in the running demo's "
                             "portal and retrain")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    home = args.home.resolve()
    if args.retrain:
        return retrain_running_demo(home)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    # A plain `kill` must stop the server too: turn SIGTERM into an exit that runs the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    started = time.perf_counter()
    demo = Demo.start(home, free_port(args.port))
    print(f"sagelocal server on {demo.url}; home {home}; its log {home / 'server.log'}")
    try:
        package = train_and_register(demo, args.baseline_first_column)
        deploy_and_send_traffic(demo, package)
        monitor(demo, package, args.baseline_first_column)
        flow_arn, password = start_review(demo)
        drift(demo)
        (home / STATE_FILE).write_text(json.dumps({"url": demo.url, "flowDefinitionArn": flow_arn,
                                                   "baselineFirstColumn": args.baseline_first_column}))
        if args.review == "browser":
            print(f"\n    Open {demo.url}/portal and sign in as {REVIEWER} with the password {password}.")
            print("    It is a one-time password: the portal then asks you to choose your own.")
            print("    Answer the tasks, then run `make retrain` in another terminal to retrain on your answers.")
            print("    The server keeps serving (the portal, the endpoint, the APIs) until Ctrl-C.")
            demo.server.wait()
            return 0
        answer_as_scripted_reviewer(demo, password)
        collect_and_retrain(demo, flow_arn, args.baseline_first_column)
        monitor_model_quality(demo)
        print(f"\ndone in {time.perf_counter() - started:.0f} s. Everything is under {home}")
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
    return 0


def retrain_running_demo(home: Path) -> int:
    """Collect and retrain against the demo server that is still running on ``home``."""
    try:
        state = json.loads((home / STATE_FILE).read_text())
    except FileNotFoundError:
        raise SystemExit(f"demo: no running demo under {home}: run `make demo` first (in a terminal)") from None
    demo = Demo(home, state["url"])
    try:
        demo.sagemaker.list_pipelines()
    except Exception as error:  # noqa: BLE001 (any failure here means the same thing to the user)
        raise SystemExit(f"demo: the demo server at {state['url']} does not answer ({error}); "
                         "is `make demo` still running?") from None
    collect_and_retrain(demo, state["flowDefinitionArn"], state["baselineFirstColumn"])
    monitor_model_quality(demo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
