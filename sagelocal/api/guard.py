"""Read timeouts for every connection and request, and when to close a connection rather than reuse it.

uvicorn waits forever for a request's headers and the application waits forever for its body, so a client
that sends half a request holds a connection (and a task) indefinitely. Two layers bound that:

- :class:`HeaderGuardProtocol` (uvicorn's httptools HTTP/1.1 protocol) closes a connection whose request
  headers are not complete within the read timeout of the server starting to wait for them, and refuses
  headers that grow past :data:`MAX_HEADER_BYTES` (a fast client never trips the timeout);
- :class:`RequestGuard` (outermost ASGI layer) fails a body read that waits longer than the read timeout
  for its next bytes: 408 (S3 answers its own RequestTimeout), and the connection is closed. It also caps
  every body (a backstop for routes with no limit of their own, such as the portal's forms): 413.

A route that refuses a request without reading its body (bad signature, too large) leaves the rest of the
body on the connection; the guard closes the connection unless what remains is small enough to drain, so an
unauthenticated client cannot make the server read, or hold, a large body.
"""
from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse, Response
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sagelocal.api.inbound import too_large
from sagelocal.errors import BodyTooLarge

# A refused body up to this size is drained by uvicorn (read and discarded, never held) so that the client,
# still sending, reliably reads the answer; beyond it the connection is closed at once.
DRAIN_BYTES = 24 * 1024 * 1024
_CLOSE = (b"connection", b"close")
# The most a request's line and headers may take before they are complete (h11's bound, which uvicorn's h11
# protocol applied here before: httptools has none of its own).
MAX_HEADER_BYTES = 16 * 1024
# A body of at least this size is read from the socket this much at a time (asyncio reads 256 KiB): a quarter
# of the reads, parser callbacks and flow-control pauses for each megabyte of an upload.
LARGE_BODY_BYTES = 1024 * 1024


class BodyTimeout(Exception):
    """The client stopped sending its request body."""

    def __init__(self, seconds: float):
        super().__init__(f"The client sent no request body bytes for {seconds:g} s; the connection is closed.")


class HeaderGuardProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (a C parser: a few hundred fewer Python calls per request than h11's), plus
    a timeout on receiving each request's headers and a bound on their size."""

    header_timeout = 20.0

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        # Bytes received while a request's line and headers were incomplete (a body's bytes do not count).
        self._header_bytes, self._reading_headers, self._large_reads = 0, True, False
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._reading_headers and self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            self.send_400_response(f"The request's line and headers exceed {MAX_HEADER_BYTES} bytes.")
            return
        # A request whose headers came whole (the usual case) never needs a timer: uvicorn's keep-alive timeout
        # covers the wait before the next request, and the timer runs only while headers are part-way in.
        if self._awaiting_headers():
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)
        elif self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def on_headers_complete(self) -> None:
        self._header_bytes, self._reading_headers = 0, False
        super().on_headers_complete()
        length = dict(self.headers).get(b"content-length", b"")
        if length.isdigit() and int(length) >= LARGE_BODY_BYTES:
            self._read_size(LARGE_BODY_BYTES)

    def on_body(self, body: bytes) -> None:
        # uvicorn appends every piece of a body to a bytearray and copies that into bytes for the application:
        # two copies of each byte, holding the GIL. A piece that arrives while none is waiting goes as it is.
        cycle = self.cycle
        if cycle.body or cycle.response_complete or (self.parser.should_upgrade() and self._should_upgrade()):
            super().on_body(body)
            return
        cycle.body = body  # uvicorn's receive hands it over with bytes(), which returns bytes unchanged
        if len(body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_headers = True
        if self._large_reads:
            del self.transport.max_size  # back to the transport's own
            self._large_reads = False

    def _read_size(self, size: int) -> None:
        """Read the socket ``size`` bytes at a time (for this request's body)."""
        if hasattr(type(self.transport), "max_size"):  # not a transport that reads its own way (uvloop's)
            self.transport.max_size, self._large_reads = size, True

    def connection_lost(self, exc) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _awaiting_headers(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._awaiting_headers() and not self.transport.is_closing():
            self.transport.close()


def server_config(app, host: str, port: int, read_timeout: float, **options):
    """uvicorn's configuration for the local server: its protocol with the header timeout."""
    import uvicorn

    protocol = type("HeaderGuardProtocol", (HeaderGuardProtocol,), {"header_timeout": read_timeout})
    return uvicorn.Config(app, host=host, port=port, http=protocol, **options)


class RequestGuard:
    """ASGI middleware: body read timeout and size cap, and closing connections that carry an unread body.

    ``body_cap(scope)`` is the most any request of that kind may send.
    """

    def __init__(self, app, read_timeout: float, body_cap):
        self.app, self.read_timeout, self.body_cap = app, read_timeout, body_cap

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _BodyProgress(scope, receive, self.read_timeout, self.body_cap(scope))

        async def guarded_send(message):
            if message["type"] == "http.response.start":
                body.response_started = True
                if body.must_close():
                    message = {**message, "headers": [*message.get("headers", ()), _CLOSE]}
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except (BodyTimeout, BodyTooLarge) as error:
            if body.response_started:
                raise
            response = too_large(error) if isinstance(error, BodyTooLarge) else _timed_out(error)
            await response(scope, body.receive, guarded_send)


def _timed_out(error: BodyTimeout) -> Response:
    return JSONResponse({"message": str(error)}, status_code=408)


class _BodyProgress:
    """How much of one request's body has arrived; its ``receive`` times out while the body is incomplete."""

    def __init__(self, scope, receive, timeout: float, cap: int):
        self._receive, self._timeout, self._cap = receive, timeout, cap
        self.received, self.complete, self.timed_out, self.response_started = 0, False, False, False
        self.declared: int | None = 0  # HTTP/1.1: no Content-Length and not chunked means no body
        # A client that sent "Expect: 100-continue" sends its body only once the app asks for it (uvicorn then
        # answers "100 Continue"); refused before that, the body never comes, and bytes of its next request
        # would be read as this body: such a connection is closed, as S3 closes it.
        self.withheld = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                self.declared = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                self.declared = None
            elif name == b"expect" and value.lower() == b"100-continue":
                self.withheld = True

    async def receive(self):
        self.withheld = False
        if self.complete:  # after the body, receive only reports a disconnect: no timeout applies
            return await self._receive()
        try:
            async with asyncio.timeout(self._timeout):
                message = await self._receive()
        except TimeoutError:
            self.timed_out = True
            raise BodyTimeout(self._timeout) from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if self.received > self._cap:
                raise BodyTooLarge(self._cap)
        else:
            self.complete = True
        return message

    def must_close(self) -> bool:
        if self.complete:
            return False
        if self.timed_out or self.withheld or self.declared is None:
            return True
        return self.declared - self.received > DRAIN_BYTES
