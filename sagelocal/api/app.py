"""The local server: one ASGI app that answers boto3's ``sagemaker``, ``sagemaker-runtime``,
``sagemaker-a2i-runtime``, ``s3``, ``logs``, ``cloudwatch`` and ``sts`` clients, plus the reviewers' portal.

Requests flow one way: route (this package: wire format, signatures) → backend (state in SQLite, one per
room) → jobs and storage. Backends know nothing of HTTP: every route the server serves is in this file,
:func:`middleware` (services told apart by their signing service, whatever the path) and :func:`routes`.
"""
from __future__ import annotations

import gc

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Route

from sagelocal import request_origin
from sagelocal.api import a2i_routes, portal, services
from sagelocal.api.auth import AuthError
from sagelocal.credentials import load_or_create
from sagelocal.api.guard import RequestGuard
from sagelocal.api.inbound import JSON_API_MAX_BODY, signed_body, too_large
from sagelocal.api.metrics_route import metrics_handler
from sagelocal.api.protocol import error_response
from sagelocal.api.runtime_routes import invoke_endpoint_handler
from sagelocal.api.s3_routes import MAX_OBJECT_BYTES, S3Router, is_s3_request
from sagelocal.api.sagemaker_json import SageMakerJsonApi
from sagelocal.cloudwatch import CloudWatchBackend
from sagelocal.cloudwatch.invocations import InvocationMetrics
from sagelocal.cloudwatch.store import MetricStore
from sagelocal.config import Settings
from sagelocal.errors import BodyTooLarge
from sagelocal.hosting import HostingBackend
from sagelocal.jobs.backend import ProcessingAndTrainingJobsBackend
from sagelocal.jobs.listing import JobListingsBackend
from sagelocal.jobs.transform_backend import TransformJobsBackend
from sagelocal.logs import LogsBackend
from sagelocal.pipeline_registry import PipelineRegistryBackend
from sagelocal.registry import RegistryBackend
from sagelocal.review import ReviewBackend
from sagelocal.schedules import SchedulesBackend
from sagelocal.schedules.scheduler import Scheduler
from sagelocal.storage.sqlite import DatabaseUnavailable
from sagelocal.tagging import TagsBackend


def build_backends(settings: Settings) -> dict:
    """Every room's backend, by name. The sagemaker JSON API serves their methods by operation name."""
    registry = RegistryBackend(settings)
    hosting = HostingBackend(settings, registry)
    pipelines = PipelineRegistryBackend(settings)
    schedules = SchedulesBackend(settings, hosting)
    return {"registry": registry, "hosting": hosting, "pipelines": pipelines, "executions": pipelines.executions,
            "jobs": ProcessingAndTrainingJobsBackend(settings), "review": ReviewBackend(settings),
            "schedules": schedules, "monitoring_job_definitions": schedules.definitions,
            "pipeline_versions": pipelines.versions, "job_listings": JobListingsBackend(settings),
            "transform_jobs": TransformJobsBackend(settings)}


def signed(service: str):
    """A FastAPI dependency for a JSON route of ``service``: authenticated from the headers before the body
    is read, the body bounded and covered by the signature. The body is left in ``request.state.body``."""

    async def signed_request(request: Request) -> None:
        request.state.body = await signed_body(request, service, JSON_API_MAX_BODY)

    return signed_request


def _body_cap(scope) -> int:
    """The most any request may send: S3's largest object to S3, a JSON API's limit to everything else
    (the portal's forms included)."""
    return MAX_OBJECT_BYTES if is_s3_request(scope) else JSON_API_MAX_BODY


def middleware(settings: Settings, access_key, signed_services: dict) -> list[Middleware]:
    """What every request passes through, outermost first. S3, CloudWatch Logs, CloudWatch metrics and STS are
    recognised by the service in the SigV4 credential scope, which cannot collide with a path of :func:`routes`."""
    return [
        # Header and body read timeouts, and a body cap, on every request.
        Middleware(RequestGuard, read_timeout=settings.read_timeout, body_cap=_body_cap),
        # Signed for logs, monitoring (CloudWatch) or sts: any path. See sagelocal.api.services.
        Middleware(services.ServicesRouter, handlers=signed_services),
        # Signed for s3: any path (path-style /bucket/key), every S3 operation. See sagelocal.api.s3_routes.
        Middleware(S3Router, settings=settings, access_key=access_key),
    ]


def routes(settings: Settings, backends: dict, sagemaker_api: SageMakerJsonApi, invocations, access_key
           ) -> list[BaseRoute]:
    """Every route served by path, for the requests no middleware answered."""
    review = backends["review"]

    async def sagemaker_json(request: Request):
        request_origin.remember(request.url.scheme, request.headers.get("host", ""))
        # Backends are synchronous (SQLite); run them off the event loop (the origin goes along: contextvars).
        return await run_in_threadpool(
            sagemaker_api.handle, request.headers.get("x-amz-target", ""), request.state.body
        )

    async def to_portal(request: Request):
        return RedirectResponse("/portal", status_code=307)

    return [
        # sagemaker-runtime InvokeEndpoint: the hot path, a plain Starlette route, matched first.
        Route("/endpoints/{name}/invocations", invoke_endpoint_handler(backends["hosting"], invocations),
              methods=["POST"]),
        # sagemaker, AWS's JSON protocol (X-Amz-Target: SageMaker.<Operation>): every operation of every backend.
        APIRoute("/", sagemaker_json, methods=["POST"], dependencies=[Depends(signed("sagemaker"))]),
        # sagemaker-a2i-runtime: POST /human-loops, POST /human-loops/stop, GET /human-loops,
        # GET and DELETE /human-loops/{name}.
        *a2i_routes.build_router(review, signed("sagemaker-a2i-runtime")).routes,
        # The reviewers' portal, /portal/...: sign-in, password, sign-out, tasks, task UIs, granted objects, static.
        *portal.build_router(review, settings).routes,
        # A workteam's SubDomain is this server: its root leads to the portal.
        Route("/", to_portal, methods=["GET"]),
        # Prometheus: the latest monitoring results and capture drops.
        Route("/metrics", metrics_handler(backends["schedules"], access_key), methods=["GET"]),
    ]


def create_app(settings: Settings | None = None, schedules: bool = True) -> FastAPI:
    """The server's app. ``schedules=False`` leaves the monitoring scheduler off (a server that a command starts
    for its own jobs must not fire the home's schedules beside the home's own server)."""
    settings = settings or Settings.from_env()
    access_key = load_or_create(settings)
    backends = build_backends(settings)
    tags = TagsBackend(settings)
    sagemaker_api = SageMakerJsonApi([*backends.values(), tags], after_call=tags.record_creation)
    tags.resolve_with(sagemaker_api.call)
    invocations = InvocationMetrics(MetricStore(settings.db_path("metrics")))
    signed_services = services.handlers(settings, access_key, LogsBackend(settings),
                                        CloudWatchBackend(settings, backends["schedules"], invocations))
    scheduler = Scheduler(backends["schedules"])

    async def auth_failed(request: Request, error: AuthError):
        return error_response(error)

    async def body_too_large(request: Request, error: BodyTooLarge):
        return too_large(error, content_type="application/x-amz-json-1.1")

    async def store_damaged(request: Request, error: DatabaseUnavailable):
        return error_response(error)  # routes outside the AWS APIs (the portal) name the damaged file too

    app = FastAPI(
        title="sagelocal", docs_url=None, redoc_url=None, openapi_url=None,
        routes=routes(settings, backends, sagemaker_api, invocations, access_key),
        middleware=middleware(settings, access_key, signed_services),
        exception_handlers={AuthError: auth_failed, BodyTooLarge: body_too_large,
                            DatabaseUnavailable: store_damaged},
        # Everything loaded at startup (botocore's service models above all) lives as long as the server: freeze
        # it out of the garbage collector's reach, so full collections during load do not walk it again and again.
        on_startup=[gc.freeze, *([scheduler.start] if schedules else [])],
        on_shutdown=[*([scheduler.stop] if schedules else []), invocations.flush],
    )
    app.state.settings, app.state.access_key, app.state.backends = settings, access_key, backends
    return app
