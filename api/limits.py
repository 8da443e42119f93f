"""Counters that keep one client from costing the service more than its share.

- ``RateLimit``: at most ``limit`` hits per key in a sliding ``window``; a refused hit learns how
  long to wait (the ``Retry-After`` of a 429).
- ``SignInGuard``: what stands in front of Argon2. Failed sign-ins are counted per client address
  and per user name (429 beyond), a run of failures locks the name *for the address it came from*
  only (so an attacker cannot keep somebody else's account locked: their own address is the one
  refused), and the password checks run in a small pool of their own, never on the threads that
  serve other requests, with a bounded queue in front of it.
- ``Throttled``: the 429 answer, with its wait.

Everything here is per process: a scaled deployment with N API processes allows N times the rates,
which still bounds what one client costs each process.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Lock
from typing import TypeVar

from sohoa.core.errors import SohoaError

__all__ = ["RateLimit", "SignInGuard", "Throttled"]

T = TypeVar("T")
_MAX_KEYS = 100_000  # a flood from many addresses costs bounded memory; the oldest keys go first


class Throttled(SohoaError):
    """Too many requests of one kind from one client: answered 429 with ``Retry-After``."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(message, code=code, details={"retry_after": self.retry_after})


class RateLimit:
    """At most ``limit`` hits per key within any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            if len(self._hits) > _MAX_KEYS:
                self._hits.popitem(last=False)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may hit again; 0 when it may now."""
        with self._lock:
            now = self._clock()
            hits = self._recent(key, now)
            if len(hits) < self.limit:
                return 0.0
            return hits[0] + self.window - now

    def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._recent(key, now).append(now)
            self._hits.move_to_end(key)

    def take(self, key: str) -> float:
        """Count a hit if allowed; else the seconds to wait (and nothing is counted)."""
        with self._lock:
            now = self._clock()
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            self._hits.move_to_end(key)
            return 0.0

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


@dataclass(frozen=True)
class SignInLimits:
    concurrency: int  # Argon2 checks at once: each maps tens of MiB
    per_address: int  # failed sign-ins per minute from one address
    per_user: int  # failed sign-ins per minute for one user name, from anywhere
    max_failures: int  # failures in a row (name, address) that lock that pair
    lockout: float  # seconds a (name, address) pair stays locked


class SignInGuard:
    """Throttles, per-address locks and the password pool of ``POST /auth/login``."""

    def __init__(self, limits: SignInLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._by_address = RateLimit(limits.per_address, clock=clock)
        self._by_user = RateLimit(limits.per_user, clock=clock)
        # (name, address) -> failures in a row; and -> when its lock ends.
        self._streaks: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._locks: dict[tuple[str, str], float] = {}
        self._lock = Lock()
        self._pool: ThreadPoolExecutor | None = None  # made at first use, again after close (a restarted app)
        self._queued = 0
        # Waiting requests hold a connection and a little memory each, never an Argon2 buffer.
        self._queue_bound = limits.concurrency * 8

    def address_wait(self, address: str) -> float:
        """Seconds before ``address`` may try to sign in again (0: now); readable before any body."""
        return self._by_address.wait(address)

    def check(self, name: str, address: str) -> None:
        """Before the password is looked at: a throttled client is refused at no cost to the service."""
        wait = max(self._by_address.wait(address), self._by_user.wait(name))
        if wait > 0:
            raise Throttled("too many failed sign-ins: wait before trying again", retry_after=wait)

    def locked(self, name: str, address: str) -> bool:
        with self._lock:
            until = self._locks.get((name, address))
            if until is None:
                return False
            if until <= self._clock():
                del self._locks[(name, address)]
                return False
            return True

    def failed(self, name: str, address: str) -> float | None:
        """Count a failure; when it completes a run, the end of the new lock (monotonic seconds)."""
        self._by_address.hit(address)
        self._by_user.hit(name)
        key = (name, address)
        with self._lock:
            streak = self._streaks.pop(key, 0) + 1
            if streak < self.limits.max_failures:
                self._streaks[key] = streak
                if len(self._streaks) > _MAX_KEYS:
                    self._streaks.popitem(last=False)
                return None
            until = self._clock() + self.limits.lockout
            self._locks[key] = until
            if len(self._locks) > _MAX_KEYS:
                self._locks.pop(next(iter(self._locks)))
            return until

    def refused_locked(self, address: str) -> None:
        """An attempt on a locked pair: it counts against the address (which gets throttled sooner),
        never toward another lock."""
        self._by_address.hit(address)

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._streaks.pop((name, address), None)

    async def run(self, check: Callable[[], T]) -> T:
        """Run a password check in the guard's own pool; 429 when too many wait already."""
        with self._lock:
            if self._queued >= self._queue_bound:
                raise Throttled("the service is busy checking passwords: try again shortly", retry_after=1)
            self._queued += 1
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.limits.concurrency, thread_name_prefix="password-check")
            pool = self._pool
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, check)
        finally:
            with self._lock:
                self._queued -= 1

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
