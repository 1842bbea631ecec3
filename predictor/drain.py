"""Graceful shutdown: on SIGTERM, stop being ready but keep serving until the queue is empty.

uvicorn (0.54, ``uvicorn/server.py``) answers SIGTERM by closing its listening socket at once and
closing idle keep-alive connections: requests a client had already sent but uvicorn had not yet
read (in the listen backlog or a connection's buffer) were reset. Kubernetes also keeps routing
to a terminating pod for a moment after SIGTERM. So here SIGTERM first marks the server
not ready (``HealthDataPlane.draining``) and keeps serving; once no request has been in flight
for ``QUIET_SECONDS`` (or after ``drain_seconds`` at most) it hands the signal to uvicorn's own
handler, which finishes in-flight requests (up to KServe's grace period) and exits. A second
SIGTERM/SIGINT skips the wait.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, MutableMapping
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

QUIET_SECONDS = 1.0
"""The drain ends once nothing has been in flight for this long."""
_SIGNALS = (signal.SIGTERM, signal.SIGINT)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class Drain:
    """Counts requests in flight and delays uvicorn's shutdown until they are done.

    Args:
        plane: has a ``draining`` flag its readiness check reads.
        max_seconds: longest time to keep serving after SIGTERM.
    """

    def __init__(self, plane: Any, *, max_seconds: float) -> None:
        self.plane, self.max_seconds = plane, max_seconds
        self.in_flight, self.last_done = 0, time.monotonic()
        self._task: asyncio.Task[None] | None = None

    async def install(self) -> None:
        """Put our handler in front of uvicorn's: run at the app's startup, in the event loop's
        (main) thread, after uvicorn's ``capture_signals`` installed its own."""
        loop = asyncio.get_running_loop()
        for sig in _SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):
                signal.signal(sig, self._handler(loop, previous))

    def _handler(
        self, loop: asyncio.AbstractEventLoop, previous: Callable[[int, FrameType | None], Any]
    ) -> Callable[[int, FrameType | None], None]:
        def handle(sig: int, frame: FrameType | None) -> None:
            if self._task is not None:  # a second signal: stop waiting
                self._task.cancel()
                previous(sig, frame)
                return
            self.plane.draining = True
            logger.info("draining", extra={"signal": signal.Signals(sig).name})
            self._task = loop.create_task(self._drain(lambda: previous(sig, frame)))
            loop.call_soon_threadsafe(lambda: None)  # wake the loop to start the task now

        return handle

    async def _drain(self, then: Callable[[], Any]) -> None:
        start = time.monotonic()
        try:
            while time.monotonic() - start < self.max_seconds:
                idle = time.monotonic() - self.last_done
                if self.in_flight == 0 and idle >= QUIET_SECONDS:
                    break
                await asyncio.sleep(0.05)
        finally:
            logger.info(
                "drained",
                extra={"seconds": round(time.monotonic() - start, 3), "in_flight": self.in_flight},
            )
            then()


class CountInFlight:
    """ASGI middleware: every HTTP request counts as in flight for the drain while it runs.

    Args:
        app: the wrapped ASGI app. drain: the ``Drain`` to count for.
    """

    def __init__(self, app: ASGIApp, *, drain: Drain) -> None:
        self.app, self.drain = app, drain

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.drain.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.in_flight -= 1
            self.drain.last_done = time.monotonic()
