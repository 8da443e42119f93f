"""How ``sohoa serve`` runs uvicorn so that slow or idle clients cannot hold it open.

uvicorn closes an idle kept-alive connection (``timeout_keep_alive``) and answers 503 past
``limit_concurrency``, but it has no timeout for the request head: a client that sends one byte of
its headers a second (or connects and sends nothing) keeps its connection forever, and a thousand
of them fill the connection cap. ``HeadTimeoutH11Protocol`` adds that timeout to uvicorn's h11
protocol: from the moment a connection opens, or the first byte of a next request arrives, the
request line and headers must be complete within ``SOHOA_HEADER_TIMEOUT`` seconds, else the
connection is closed. (The body has its own progress timeout, in ``api.middleware``.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sohoa.core.settings import Settings

__all__ = ["HeadTimeoutH11Protocol", "server_options"]

_MAX_HEAD_BYTES = 16 * 1024  # request line and headers: a browser's cookies fit many times over


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the request head."""

    head_timeout: float = 10.0  # set per server by ``server_options``

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._waiting_for_head():
            self._arm_head_timer()
        else:
            self._cancel_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _waiting_for_head(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _arm_head_timer(self) -> None:
        # Armed once per request head: more bytes of the same head do not push the deadline back.
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._waiting_for_head():
            self.logger.info("closing a connection whose request head took over %g s", self.head_timeout)
            self.transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``uvicorn.run`` for the service: timeouts and the connection cap."""
    protocol = type("HeadTimeoutH11", (HeadTimeoutH11Protocol,), {"head_timeout": settings.header_timeout})
    return {
        "http": protocol,
        "timeout_keep_alive": max(1, round(settings.keep_alive_timeout)),
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": _MAX_HEAD_BYTES,
    }
