"""The local server: one ASGI app that answers boto3's ``sagemaker``, ``sagemaker-runtime`` and
``sagemaker-a2i-runtime`` clients, plus the reviewers' portal.

Requests flow one way: route (this package: wire format, signatures) → backend (state in SQLite, one per
room) → jobs and storage. Backends know nothing of HTTP.
"""
from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from sagelocal.api.auth import AuthError, verify_sigv4
from sagelocal.api.credentials import load_or_create
from sagelocal.api.protocol import error_response
from sagelocal.api.sagemaker_json import SageMakerJsonApi
from sagelocal.config import Settings
from sagelocal.hosting import HostingBackend
from sagelocal.hosting.routes import install as install_runtime_routes
from sagelocal.jobs.backend import ProcessingJobsBackend
from sagelocal.pipelines_api import PipelinesBackend
from sagelocal.registry import RegistryBackend
from sagelocal.review import ReviewBackend
from sagelocal.review import portal as review_portal
from sagelocal.review import routes as review_routes
from sagelocal.s3api import S3Router
from sagelocal.schedules import SchedulesBackend
from sagelocal.schedules.routes import install as install_schedule_routes
from sagelocal.storage.sqlite import DatabaseUnavailable


def build_backends(settings: Settings) -> dict:
    """Every room's backend, by name. The sagemaker JSON API serves their methods by operation name."""
    registry = RegistryBackend(settings)
    hosting = HostingBackend(settings, registry)
    pipelines = PipelinesBackend(settings)
    return {"registry": registry, "hosting": hosting, "pipelines": pipelines, "executions": pipelines.executions,
            "jobs": ProcessingJobsBackend(settings), "review": ReviewBackend(settings),
            "schedules": SchedulesBackend(settings, hosting)}


async def signed_request(request: Request) -> str:
    """FastAPI dependency for AWS routes: the request must carry a valid SigV4 signature."""
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode()
    query = request.scope.get("query_string", b"").decode()
    url = f"{request.url.scheme}://{request.headers.get('host', '')}{raw_path}" + (f"?{query}" if query else "")
    headers = {name.lower(): value for name, value in request.headers.items()}
    return verify_sigv4(request.method, url, headers, await request.body(), request.app.state.access_key)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="sagelocal", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.access_key = load_or_create(settings)
    app.state.backends = build_backends(settings)
    sagemaker_api = SageMakerJsonApi(list(app.state.backends.values()))
    install_runtime_routes(app, app.state.backends["hosting"])
    install_schedule_routes(app, app.state.backends["schedules"])
    app.include_router(review_routes.build_router(app.state.backends["review"], signed_request))
    app.include_router(review_portal.build_router(app.state.backends["review"], settings))
    # S3 is recognised by its signing service, so it never collides with the routes below.
    app.add_middleware(S3Router, settings=settings, access_key=app.state.access_key)

    @app.exception_handler(AuthError)
    async def _auth_failed(request: Request, error: AuthError):
        return error_response(error)

    @app.exception_handler(DatabaseUnavailable)
    async def _store_damaged(request: Request, error: DatabaseUnavailable):
        return error_response(error)  # routes outside the AWS APIs (the portal) name the damaged file too

    @app.post("/", dependencies=[Depends(signed_request)])
    async def sagemaker_json(request: Request):
        # Backends are synchronous (SQLite); run them off the event loop.
        return await run_in_threadpool(
            sagemaker_api.handle, request.headers.get("x-amz-target", ""), await request.body()
        )

    return app
