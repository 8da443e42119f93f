"""The counters themselves, on a clock the test moves: locks, throttles, folded refusals."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from sohoa.api.limits import RateLimit, SignInGuard, SignInLimits, Throttled
from sohoa.pipeline.actions.audit import RefusalLog
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.records import EventRecord


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LIMITS = SignInLimits(concurrency=1, per_address=30, per_user=10, max_failures=3, lockout=900)


def test_a_lock_is_not_renewed_by_retrying_while_locked() -> None:
    clock = Clock()
    guard = SignInGuard(LIMITS, clock=clock)
    try:
        assert [guard.failed("lan", "198.51.100.7") for _ in range(2)] == [None, None]
        until = guard.failed("lan", "198.51.100.7")
        assert until == clock.now + 900 and guard.locked("lan", "198.51.100.7")
        assert not guard.locked("lan", "192.0.2.10")  # the owner's own address
        for _ in range(50):  # the attacker keeps trying: refused unread, nothing extends the lock
            clock.now += 10
            if guard.locked("lan", "198.51.100.7"):
                guard.refused_locked("198.51.100.7")
        clock.now = until + 1
        assert not guard.locked("lan", "198.51.100.7")
    finally:
        guard.close()


def test_failures_are_throttled_per_address_and_per_name() -> None:
    clock = Clock()
    guard = SignInGuard(LIMITS, clock=clock)
    try:
        for n in range(10):
            guard.failed(f"name-{n}", "198.51.100.7")
            guard.failed("lan", f"203.0.113.{n}")
        guard.check("someone", "192.0.2.10")  # another name from another address: not throttled
        with pytest.raises(Throttled) as by_name:
            guard.check("lan", "192.0.2.10")
        assert 59 <= by_name.value.retry_after <= 60
        for n in range(20):
            guard.failed(f"other-{n}", "198.51.100.7")
        with pytest.raises(Throttled):
            guard.check("someone-new", "198.51.100.7")
        clock.now += 61
        guard.check("lan", "198.51.100.7")  # a minute later both may try again
    finally:
        guard.close()


def test_password_checks_beyond_the_queue_are_refused_at_once() -> None:
    guard = SignInGuard(LIMITS, clock=Clock())

    async def flood() -> list[object]:
        release = asyncio.Event()
        loop = asyncio.get_running_loop()

        def slow_check() -> str:
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)
            return "checked"

        tasks = [asyncio.create_task(guard.run(slow_check)) for _ in range(12)]
        await asyncio.sleep(0.2)
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    try:
        results = asyncio.run(flood())
    finally:
        guard.close()
    assert results.count("checked") == 8  # concurrency 1, eight waiting at most
    assert all(isinstance(r, Throttled) for r in results if r != "checked")


def test_rate_limit_take_counts_only_what_it_allows() -> None:
    clock = Clock()
    limit = RateLimit(2, clock=clock)
    assert [limit.take("u"), limit.take("u")] == [0.0, 0.0]
    assert limit.take("u") == 60.0
    clock.now += 30
    assert limit.take("u") == 30.0  # refused hits do not push the window on
    clock.now += 31
    assert limit.take("u") == 0.0


def test_identical_refusals_within_a_minute_are_one_event_with_a_count(runtime: Runtime) -> None:
    clock = Clock()
    log = RefusalLog(runtime, clock=clock, flush_every=3600)
    details = {"reason": "invalid_token", "path": "/api/v1/documents", "client": "198.51.100.7"}
    try:
        for _ in range(5):
            log.record(actor="-", action="auth.refused", details=details)
            clock.now += 10
        log.record(actor="-", action="auth.refused", details={**details, "client": "192.0.2.10"})
        clock.now += 15  # 65 s after the first: a new window, a new event
        log.record(actor="-", action="auth.refused", details=details)
    finally:
        log.close()
    with runtime.db.session() as session:
        rows = session.scalars(select(EventRecord).where(EventRecord.action == "auth.refused").order_by(EventRecord.id))
        found = [(e.details["client"], e.details["count"]) for e in rows]  # type: ignore[index]
    assert found == [("198.51.100.7", 5), ("192.0.2.10", 1), ("198.51.100.7", 1)]


def test_a_password_hashed_with_several_lanes_is_redone_with_one_at_sign_in(runtime: Runtime) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from sohoa.storage.accounts import check_login, create_user, get_user

    with runtime.db.session() as session:
        user = create_user(session, "lan", "uploader", actor="test")
        user.password_hash = PasswordHasher(parallelism=4).hash("mật khẩu đủ dài 2025")
    with runtime.db.session() as session:
        assert check_login(session, "lan", "mật khẩu đủ dài 2025").user is not None
    with runtime.db.session() as session:
        stored = get_user(session, "lan").password_hash
    assert stored is not None and extract_parameters(stored).parallelism == 1
