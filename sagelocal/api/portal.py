"""The worker portal: sign in, my tasks, open one (the flow's template, rendered), submit the answer.

Authentication is a session cookie (HttpOnly, SameSite=Strict, path /portal), not SigV4. Every form carries
a CSRF token: the session's for signed-in forms; a double-submit cookie for the sign-in form. A session opened
with a one-time password reaches only the page that sets a new password. Pages send a Content-Security-Policy
that allows nothing from other origins and no inline script: the portal's own script is a static file, and a
task page adds a nonce for the worker template's own scripts only.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from liquid import Environment, FileSystemLoader, Markup
from starlette.concurrency import run_in_threadpool

from sagelocal import review
from sagelocal.clock import as_utc_datetime
from sagelocal.errors import ServiceError
from sagelocal.review.reviewers import PasswordExpired, Throttled, password_problem
from sagelocal.review.rendering import ReadGrants, TemplateRenderer
from sagelocal.storage import LocalS3

# The portal's pages and static files are the review room's; this module serves them.
HERE = Path(review.__file__).parent
STATIC = HERE / "static"
SESSION_COOKIE = "sl_session"
SIGN_IN_COOKIE = "sl_sign_in_csrf"
# Marks a browser that signed in to an account before: its failed sign-ins count apart from its address's.
DEVICE_COOKIE = "sl_device"
DEVICE_SECONDS = 365 * 24 * 3600
CSP = ("default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP.format(nonce=""),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Pages:
    """The portal's own pages, Liquid files under templates/portal with auto-escaping on."""

    def __init__(self):
        self.env = Environment(loader=FileSystemLoader(HERE / "templates" / "portal"), autoescape=True)

    def html(self, name: str, status: int = 200, nonce: str = "", **data) -> HTMLResponse:
        """The page; ``nonce`` lets the worker template's own scripts run on a task page."""
        body = self.env.get_template(f"{name}.liquid.html").render(**data)
        page = self.env.get_template("layout.liquid.html").render(body=Markup(body), **data)
        headers = SECURITY_HEADERS | ({"Content-Security-Policy": CSP.format(nonce=f" 'nonce-{nonce}'")}
                                     if nonce else {})
        return HTMLResponse(page, status_code=status, headers=headers)


def build_router(backend, settings) -> APIRouter:
    router = APIRouter(prefix="/portal")
    pages = Pages()
    grants = ReadGrants(secrets.token_bytes(32))
    renderer = TemplateRenderer(grants)
    s3 = LocalS3(settings.s3_root)

    def session_of(request: Request):
        return backend.reviewers.session(request.cookies.get(SESSION_COOKIE))

    def reviewer_of(request: Request):
        """The session of a reviewer who may use the portal: signed in, and past the one-time password."""
        session = session_of(request)
        return session if session and not session["password_change"] else None

    def elsewhere(request: Request) -> RedirectResponse:
        """Where a page its session may not see sends the browser: signing in, choosing a password, or tasks."""
        session = session_of(request)
        target = "sign-in" if not session else "password" if session["password_change"] else "tasks"
        return RedirectResponse(f"/portal/{target}", status_code=303)

    @router.get("", include_in_schema=False)
    async def home(request: Request):
        return RedirectResponse("/portal/tasks", status_code=303) if reviewer_of(request) else elsewhere(request)

    @router.get("/sign-in")
    async def sign_in_page(request: Request):
        return _sign_in_form(pages, "")

    @router.post("/sign-in")
    async def sign_in(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form("")):
        expected = request.cookies.get(SIGN_IN_COOKIE)
        if not expected or not secrets.compare_digest(expected, csrf):
            return _sign_in_form(pages, "Your sign-in form expired. Please try again.", 403)
        source = request.client.host if request.client else "unknown"
        try:
            result = await run_in_threadpool(backend.reviewers.sign_in, username, password, source,
                                             request.cookies.get(DEVICE_COOKIE))
        except Throttled:
            return _sign_in_form(pages, "Too many failed sign-ins. Wait a few minutes, then try again.", 429)
        except PasswordExpired:
            return _sign_in_form(pages, "Your one-time password has expired. Ask for a new one "
                                        "(sagelocal review workers reset NAME).", 401)
        if result is None:
            return _sign_in_form(pages, "Wrong user name or password.", 401)
        response = RedirectResponse("/portal/password" if result.password_change else "/portal/tasks",
                                    status_code=303)
        _set_session(response, result.token)
        response.delete_cookie(SIGN_IN_COOKIE, path="/portal")
        if result.device:
            response.set_cookie(DEVICE_COOKIE, result.device, max_age=DEVICE_SECONDS, httponly=True,
                                samesite="strict", path="/portal/sign-in")
        return response

    @router.get("/password")
    async def password_page(request: Request):
        session = session_of(request)
        if not session or not session["password_change"]:
            return elsewhere(request)
        return _password_form(pages, session, "")

    @router.post("/password")
    async def set_password(request: Request, password: str = Form(""), confirm: str = Form(""),
                           csrf: str = Form("")):
        session = session_of(request)
        if not session or not session["password_change"]:
            return elsewhere(request)
        if not secrets.compare_digest(session["csrf"], csrf):
            return _password_form(pages, session, "This form is not from your session. Please try again.", 403)
        problem = "The two passwords differ." if password != confirm else password_problem(password)
        if problem:
            return _password_form(pages, session, problem, 400)
        result = await run_in_threadpool(backend.reviewers.set_password, request.cookies[SESSION_COOKIE], password)
        if result is None:
            return elsewhere(request)
        response = RedirectResponse("/portal/tasks", status_code=303)
        _set_session(response, result[0])
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request, csrf: str = Form("")):
        session = session_of(request)
        if session and secrets.compare_digest(session["csrf"], csrf):
            backend.reviewers.sign_out(request.cookies[SESSION_COOKIE])
        response = RedirectResponse("/portal/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/portal")
        return response

    @router.get("/tasks")
    async def my_tasks(request: Request, done: str = ""):
        session = reviewer_of(request)
        if not session:
            return elsewhere(request)
        tasks = await run_in_threadpool(backend.tasks.available, session["worker"])
        return pages.html("tasks", worker=session["worker"], csrf=session["csrf"], tasks=tasks, done=done,
                          title="My tasks")

    @router.get("/tasks/{loop}")
    async def open_task(request: Request, loop: str):
        session = reviewer_of(request)
        if not session:
            return elsewhere(request)
        try:
            task = await run_in_threadpool(backend.tasks.accept, session["worker"], loop)
            flow = task["flow"]
            template = backend.task_ui_by_arn(flow["HumanLoopConfig"]["HumanTaskUiArn"])
        except ServiceError as error:
            return _problem(pages, session, error)
        # Rendering a long task takes milliseconds: keep it off the event loop.
        nonce = secrets.token_urlsafe(16)
        rendered = await run_in_threadpool(renderer.render, template, json.loads(task["loop"]["input"]), nonce)
        return pages.html("task", nonce=nonce, worker=session["worker"], csrf=session["csrf"], loop=loop,
                          title=flow["HumanLoopConfig"]["TaskTitle"],
                          description=flow["HumanLoopConfig"]["TaskDescription"],
                          deadline=int(as_utc_datetime(task["deadline"]).timestamp()), template=Markup(rendered))

    @router.post("/tasks/{loop}/submit")
    async def submit(request: Request, loop: str, csrf: str = Form(""), answerContent: str = Form("")):
        session = reviewer_of(request)
        if not session:
            return elsewhere(request)
        if not secrets.compare_digest(session["csrf"], csrf):
            return pages.html("problem", 403, worker=session["worker"], csrf=session["csrf"], title="Not sent",
                              message="This form is not from your session. Open the task again and resubmit.")
        try:
            answer = json.loads(answerContent)
            await run_in_threadpool(backend.tasks.submit, session["worker"], loop, answer)
        except ValueError:
            return pages.html("problem", 400, worker=session["worker"], csrf=session["csrf"], title="Not sent",
                              message="The answer could not be read. Open the task again and resubmit.")
        except ServiceError as error:
            return _problem(pages, session, error)
        return RedirectResponse(f"/portal/tasks?done={quote(loop)}", status_code=303)

    @router.get("/task-uis/{name}/template")
    async def task_ui_template(request: Request, name: str):
        session = reviewer_of(request)
        if not session:
            return elsewhere(request)
        try:
            row = backend.task_ui(name)
        except ServiceError as error:
            return PlainTextResponse(error.message, status_code=404)
        # Only the templates of the reviewer's own workteams' flows; others are "not found", names do not leak.
        if not await run_in_threadpool(backend.tasks.may_read_task_ui, session["worker"], row["arn"]):
            return PlainTextResponse(f"HumanTaskUi {name} does not exist.", status_code=404)
        return PlainTextResponse(row["content"], headers=SECURITY_HEADERS)

    @router.get("/objects/{bucket}/{key:path}")
    async def granted_object(request: Request, bucket: str, key: str, expires: int = 0, signature: str = ""):
        if not reviewer_of(request):
            return elsewhere(request)
        if not grants.check(bucket, key, expires, signature):
            return PlainTextResponse("This link is not valid or has expired.", status_code=403)
        path = s3.path(f"s3://{bucket}/{key}")
        if not path.is_file():
            return PlainTextResponse("No such object.", status_code=404)
        return FileResponse(path, headers={"X-Content-Type-Options": "nosniff"})

    @router.get("/static/{name}")
    async def static(name: str):
        path = STATIC / name
        if path.parent != STATIC or not path.is_file():
            return Response(status_code=404)
        return FileResponse(path, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    return router


def _sign_in_form(pages: Pages, message: str, status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = pages.html("sign_in", status, csrf=token, message=message, title="Sign in")
    response.set_cookie(SIGN_IN_COOKIE, token, httponly=True, samesite="strict", path="/portal")
    return response


def _set_session(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/portal")


def _password_form(pages: Pages, session, message: str, status: int = 200) -> HTMLResponse:
    return pages.html("password", status, worker=session["worker"], csrf=session["csrf"], message=message,
                      title="Choose a password")


def _problem(pages: Pages, session, error: ServiceError) -> HTMLResponse:
    return pages.html("problem", error.status, worker=session["worker"], csrf=session["csrf"],
                      title="Task not available", message=error.message)
