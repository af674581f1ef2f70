"""Run one execution of a pipeline definition: schedule steps as their dependencies finish (independent
steps at once, in threads), evaluate each step's arguments, reuse cached results, retry by policy, and
record everything in the :class:`PipelineStore`."""
from __future__ import annotations

import graphlib
import json
import re
import secrets
import sqlite3
import string
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timezone

from sagelocal.config import Settings
from sagelocal.engine import policies
from sagelocal.engine.definition import Definition, Step
from sagelocal.engine.expressions import ExpressionError, PropertyFileRef, evaluate
from sagelocal.engine.progress import Progress
from sagelocal.engine.step_types import HANDLERS, StepContext, StepFailed, StepOutcome
from sagelocal.engine.store import PipelineStore, Reopened
from sagelocal.errors import UserError
from sagelocal.storage.s3 import LocalS3

MAX_PARALLEL_STEPS = 4
_JOB_SUFFIX = string.ascii_letters + string.digits


class RunScope:
    """The values expressions read during one execution."""

    def __init__(self, runner: "PipelineRunner"):
        self._runner = runner
        self.parameters = runner.parameters

    def execution_variable(self, name: str):
        if name == "CurrentDateTime":
            return datetime.now(timezone.utc).isoformat()
        return self._runner.execution_variables[name]

    def step_properties(self, step: str) -> dict:
        if step not in self._runner.properties:
            raise ExpressionError(f"step {step!r} has not succeeded in this execution")
        return self._runner.properties[step]

    def property_file(self, ref: PropertyFileRef):
        step = self._runner.definition.steps.get(ref.step)
        files = {f.get("PropertyFileName"): f for f in (step.body.get("PropertyFiles") or [])} if step else {}
        if ref.name not in files:
            raise ExpressionError(f"step {ref.step!r} declares no property file {ref.name!r}")
        spec = files[ref.name]
        outputs = self.step_properties(ref.step).get("ProcessingOutputConfig", {}).get("Outputs", [])
        output = next((o for o in outputs if o.get("OutputName") == spec.get("OutputName")), None)
        if output is None:
            raise ExpressionError(f"property file {ref.name!r}: step {ref.step!r} has no output "
                                  f"{spec.get('OutputName')!r}")
        return self.read_json(f"{output['S3Output']['S3Uri'].rstrip('/')}/{spec['FilePath']}")

    def read_json(self, s3_uri: str):
        try:
            return json.loads(self._runner.s3.read_bytes(s3_uri))
        except UserError as error:
            raise ExpressionError(str(error)) from None
        except json.JSONDecodeError as error:
            raise ExpressionError(f"{s3_uri} is not JSON: {error.msg}") from None


class PipelineRunner:
    def __init__(self, settings: Settings, definition: Definition, parameters: dict, pipeline_name: str,
                 progress: Progress | None = None, store: PipelineStore | None = None):
        self.settings = settings
        self.definition = definition
        self.parameters = parameters
        self.pipeline_name = pipeline_name
        self.progress = progress or Progress(live=False)
        self.store = store or PipelineStore(settings)
        self.s3 = LocalS3(settings.s3_root)
        self.properties: dict[str, dict] = {}
        self.scope = RunScope(self)
        self._registry = None

    def run(self) -> dict:
        """Run every reachable step; return the DescribePipelineExecution response of the finished execution."""
        execution_id, arn, started = self.store.start_execution(self.pipeline_name, self.parameters,
                                                                self.definition.document)
        return self._execute(execution_id, arn, started, succeeded=set())

    def resume(self, reopened: Reopened) -> dict:
        """RetryPipelineExecution: run a failed execution again from the steps that did not succeed (those that
        did keep their properties and are not run again, as on AWS)."""
        self.properties = dict(reopened.properties)
        return self._execute(reopened.execution_id, reopened.arn, reopened.started, set(reopened.properties))

    def _execute(self, execution_id: str, arn: str, started: str, succeeded: set[str]) -> dict:
        self.execution_id, self.arn = execution_id, arn
        self.execution_variables = {"PipelineExecutionId": execution_id, "PipelineName": self.pipeline_name,
                                    "PipelineExecutionArn": arn, "StartDateTime": started}
        self._interrupted = False
        self.progress.start([name for name in self.definition.steps if name not in succeeded])
        try:
            failure, stopped = self._schedule(succeeded)
        except BaseException:
            # Interrupted (Ctrl-C): the record must not stay Executing forever.
            self.store.finish_execution(arn, "Stopped", "the runner was interrupted")
            raise
        finally:
            self.progress.finish()
        if stopped:
            self.store.finish_execution(arn, "Stopped")
        else:
            self.store.finish_execution(arn, "Failed" if failure else "Succeeded", failure)
        return self.store.describe_pipeline_execution({"PipelineExecutionArn": arn})

    def _stop_requested(self) -> bool:
        """True once StopPipelineExecution was called (from any process) or this runner was interrupted."""
        return self._interrupted or self.store.stop_requested(self.arn)

    def _schedule(self, succeeded: set[str]) -> tuple[str | None, bool]:
        """Take each step once all its dependencies have ended (graphlib's order of the definition's graph): run it
        if they succeeded and it is on its condition's taken branch, else it is NotExecuted; start nothing after
        the first failure or a stop request. Returns (the failure reason, whether the execution was stopped)."""
        steps = self.definition.steps
        order = graphlib.TopologicalSorter({name: step.depends_on for name, step in steps.items()})
        order.prepare()  # the definition's parser has refused cycles already
        status: dict[str, str] = {}
        running = {}
        failure, stopped = None, False
        with ThreadPoolExecutor(MAX_PARALLEL_STEPS, thread_name_prefix="step") as pool:
            try:
                while True:
                    stopped = stopped or self._stop_requested()
                    while ready := order.get_ready():
                        for name in ready:
                            if name in succeeded:  # a retried execution keeps what succeeded
                                status[name] = "Succeeded"
                                order.done(name)
                            elif failure or stopped or not self._runnable(steps[name], status):
                                status[name] = "NotExecuted"
                                self.progress.update(name, "NotExecuted")
                                order.done(name)
                            else:
                                running[pool.submit(self._run_step, steps[name])] = name
                    if not running:
                        return failure, stopped
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        name = running.pop(future)
                        status[name], reason = future.result()
                        order.done(name)
                        if reason and not failure and status[name] == "Failed":
                            failure = reason if steps[name].type == "Fail" else f"Step {name} failed: {reason}"
            except BaseException:
                self._interrupted = True  # running jobs see it and die, so the pool's shutdown does not wait long
                raise

    def _runnable(self, step: Step, status: dict) -> bool:
        """Whether a step whose dependencies have all ended runs: they all succeeded, and it is on its branch."""
        return all(status[d] == "Succeeded" for d in step.depends_on) and self._on_taken_branch(step, status)

    def _on_taken_branch(self, step: Step, status: dict) -> bool:
        if step.branch is None:
            return True
        condition, branch = step.branch
        return status.get(condition) == "Succeeded" and self.properties[condition]["Outcome"] is branch

    def _run_step(self, step: Step) -> tuple[str, str | None]:
        """Run one step to its end and record it. Returns (status, failure reason)."""
        self.progress.update(step.name, "Executing")
        self.store.record_step(self.arn, step.name, step.type, "Executing")
        attempts, key, cache_source, metadata = 1, None, None, {}
        try:
            body = self._evaluated_body(step)
            enabled, max_age = policies.cache_settings(step.body)
            if enabled:
                key = policies.cache_key(step.type, body)
                cached = self.store.cached_step(self.pipeline_name, step.type, key, max_age)
                if cached:
                    outcome = StepOutcome(cached["properties"], cached["metadata"])
                    cache_source = cached["source"]
            if cache_source is None:
                outcome, attempts = self._with_retries(step, body)
        except Exception as error:  # noqa: BLE001 - any error ends this step, not the whole runner
            reason = getattr(error, "reason", None) or str(error)
            if not isinstance(error, (StepFailed, ExpressionError, UserError)):
                reason = f"InternalError: {type(error).__name__}: {error}"
            metadata = getattr(error, "metadata", {})
            # A step whose job was killed by StopPipelineExecution is Stopped, as on AWS.
            ended = "Stopped" if self._stop_requested() else "Failed"
            self.store.record_step(self.arn, step.name, step.type, ended, failure_reason=reason,
                                   metadata=metadata, attempts=getattr(error, "attempts", attempts))
            self.progress.update(step.name, ended, reason)
            return ended, reason
        self.properties[step.name] = outcome.properties
        self.store.record_step(self.arn, step.name, step.type, "Succeeded", metadata=outcome.metadata,
                               properties=outcome.properties, attempts=attempts, cache_key=key,
                               cache_source=cache_source, process_seconds=outcome.process_seconds)
        self.progress.update(step.name, "Succeeded", "cache hit" if cache_source else "")
        return "Succeeded", None

    def _with_retries(self, step: Step, body: dict) -> tuple[StepOutcome, int]:
        rules = policies.retry_rules(step.body)
        first = time.monotonic()
        attempt = 1
        while True:
            context = StepContext(self.settings, self.store, self.registry, self.scope, self._job_name(step.name),
                                  self._stop_requested)
            try:
                return HANDLERS[step.type](context, body), attempt
            except sqlite3.OperationalError as error:
                failure = StepFailed(f"InternalError: {error}", "Step.SERVICE_FAULT")
            except StepFailed as error:
                failure = error
            rule = policies.matching_rule(rules, failure.exception_type)
            if rule is None or self._stop_requested() or not rule.allows(attempt, (time.monotonic() - first) / 60):
                failure.attempts = attempt
                raise failure
            self.progress.update(step.name, "Executing", f"retry {attempt} after: {failure.reason.splitlines()[0]}")
            time.sleep(rule.delay(attempt))
            attempt += 1

    def _evaluated_body(self, step: Step) -> dict:
        """The step with its expressions evaluated; a Condition's branches and conditions are left as they are."""
        if step.type == "Condition":
            return step.body
        return evaluate({k: v for k, v in step.body.items() if k != "DependsOn"}, self.scope)

    def registry(self):
        if self._registry is None:
            from sagelocal.registry import RegistryBackend

            self._registry = RegistryBackend(self.settings)
        return self._registry

    def _job_name(self, step_name: str) -> str:
        """``pipelines-<execution id>-<step>-<random>``, as SageMaker names a pipeline's jobs (63 chars at most)."""
        suffix = "".join(secrets.choice(_JOB_SUFFIX) for _ in range(10))
        step = re.sub(r"[^A-Za-z0-9]+", "-", step_name).strip("-")
        step = step[:63 - len("pipelines-") - len(self.execution_id) - len(suffix) - 2]
        return f"pipelines-{self.execution_id}-{step}-{suffix}"
