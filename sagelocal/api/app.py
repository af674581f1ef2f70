"""The local server: one ASGI app that answers boto3's ``sagemaker``, ``sagemaker-runtime`` and
``sagemaker-a2i-runtime`` clients, plus the reviewers' portal.

Requests flow one way: route (this package: wire format, signatures) → backend (state in SQLite, one per
room) → jobs and storage. Backends know nothing of HTTP.
"""
from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from sagelocal.api.auth import AuthError
from sagelocal.api.credentials import load_or_create
from sagelocal.api.guard import RequestGuard
from sagelocal.api.inbound import JSON_API_MAX_BODY, BodyTooLarge, signed_body, too_large
from sagelocal.api.protocol import error_response
from sagelocal.api.sagemaker_json import SageMakerJsonApi
from sagelocal.api.services import install as install_services
from sagelocal.cloudwatch.invocations import InvocationMetrics
from sagelocal.cloudwatch.store import MetricStore
from sagelocal import request_origin
from sagelocal.config import Settings
from sagelocal.hosting import HostingBackend
from sagelocal.hosting.routes import install as install_runtime_routes
from sagelocal.jobs.backend import ProcessingJobsBackend
from sagelocal.jobs.listing import JobListingsBackend
from sagelocal.jobs.transform_backend import TransformJobsBackend
from sagelocal.pipelines_api import PipelinesBackend
from sagelocal.registry import RegistryBackend
from sagelocal.review import ReviewBackend
from sagelocal.review import portal as review_portal
from sagelocal.review import routes as review_routes
from sagelocal.s3api import S3Router
from sagelocal.s3api.router import MAX_OBJECT_BYTES, is_s3_request
from sagelocal.schedules import SchedulesBackend
from sagelocal.schedules.routes import install as install_schedule_routes
from sagelocal.storage.sqlite import DatabaseUnavailable
from sagelocal.tagging import TagsBackend


def build_backends(settings: Settings) -> dict:
    """Every room's backend, by name. The sagemaker JSON API serves their methods by operation name."""
    registry = RegistryBackend(settings)
    hosting = HostingBackend(settings, registry)
    pipelines = PipelinesBackend(settings)
    schedules = SchedulesBackend(settings, hosting)
    return {"registry": registry, "hosting": hosting, "pipelines": pipelines, "executions": pipelines.executions,
            "jobs": ProcessingJobsBackend(settings), "review": ReviewBackend(settings),
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


def create_app(settings: Settings | None = None, schedules: bool = True) -> FastAPI:
    """The server's app. ``schedules=False`` leaves the monitoring scheduler off (a server that a command starts
    for its own jobs must not fire the home's schedules beside the home's own server)."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="sagelocal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.access_key = load_or_create(settings)
    app.state.backends = build_backends(settings)
    tags = TagsBackend(settings)
    sagemaker_api = SageMakerJsonApi([*app.state.backends.values(), tags], after_call=tags.record_creation)
    tags.resolve_with(sagemaker_api.call)
    invocations = InvocationMetrics(MetricStore(settings.db_path("metrics")))
    install_runtime_routes(app, app.state.backends["hosting"], invocations)
    install_schedule_routes(app, app.state.backends["schedules"], run_scheduler=schedules)
    app.include_router(review_routes.build_router(app.state.backends["review"], signed("sagemaker-a2i-runtime")))
    app.include_router(review_portal.build_router(app.state.backends["review"], settings))
    app.add_api_route("/", lambda: RedirectResponse("/portal", status_code=307), methods=["GET"],
                      include_in_schema=False)  # a workteam's SubDomain is this server: its root leads to the portal
    # S3 is recognised by its signing service, so it never collides with the routes below.
    app.add_middleware(S3Router, settings=settings, access_key=app.state.access_key)
    install_services(app, settings, invocations)  # CloudWatch Logs and metrics, STS: recognised by their signing service too
    app.add_middleware(RequestGuard, read_timeout=settings.read_timeout, body_cap=_body_cap)  # outermost

    @app.exception_handler(AuthError)
    async def _auth_failed(request: Request, error: AuthError):
        return error_response(error)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(request: Request, error: BodyTooLarge):
        return too_large(error, content_type="application/x-amz-json-1.1")

    @app.exception_handler(DatabaseUnavailable)
    async def _store_damaged(request: Request, error: DatabaseUnavailable):
        return error_response(error)  # routes outside the AWS APIs (the portal) name the damaged file too

    @app.post("/", dependencies=[Depends(signed("sagemaker"))])
    async def sagemaker_json(request: Request):
        request_origin.remember(request.url.scheme, request.headers.get("host", ""))
        # Backends are synchronous (SQLite); run them off the event loop (the origin goes along: contextvars).
        return await run_in_threadpool(
            sagemaker_api.handle, request.headers.get("x-amz-target", ""), request.state.body
        )

    return app
