"""Operator metrics in Prometheus' text format, read from the catalogue at every scrape.

A fresh ``CollectorRegistry`` per scrape, filled from the database, so every API process
answers the same numbers however many workers run (no in-process counters to merge).
Counters here are totals recorded in the catalogue (events, pages, signatures): they only
grow, as Prometheus expects of a counter.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import accumulate

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.periods import PeriodKind, current_period
from sohoa.registry.coverage import count_coverage
from sohoa.storage.archive_queries import last_fixity_run
from sohoa.storage.metric_queries import (
    count_documents_by_state,
    count_failing_documents,
    count_failures,
    count_ocr_pages,
    count_refusals,
    count_signed_documents,
    state_changes,
)
from sohoa.storage.registry_queries import count_procedures, count_register_entries

__all__ = ["STAGE_BUCKETS", "build_metrics_registry", "render_metrics", "stage_of"]

S = DocumentState
# Seconds: from a quick OCR page to a review that waits over a weekend.
STAGE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0, 86400.0, 604800.0)
# The stage a document is in while it sits in a state: time in "received" is OCR's time.
_STAGE_OF_STATE = {
    S.RECEIVED: "ocr",
    S.OCR_DONE: "extract",
    S.NEEDS_REVIEW: "review",
    S.EXTRACTED: "sign",
    S.APPROVED: "sign",
    S.SIGNED: "archive",
    S.FAILED: "retry",
}


def stage_of(state: str) -> str | None:
    try:
        return _STAGE_OF_STATE.get(S(state))
    except ValueError:
        return None


class _Snapshot(Collector):
    """Metric families computed once; a registry of one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


def _documents_by_state(session: Session) -> Iterator[Metric]:
    counts = count_documents_by_state(session)
    states = GaugeMetricFamily("sohoa_documents", "Documents in the catalogue by state.", labels=["state"])
    for state in S:
        states.add_metric([state.value], counts.get(state.value, 0))
    yield states
    queue = GaugeMetricFamily(
        "sohoa_queue_depth", "Documents waiting for or in a stage (review waits for a person).", labels=["stage"]
    )
    depth: Counter[str] = Counter()
    for state_name, count in counts.items():
        stage = stage_of(state_name)
        if stage is not None and stage != "retry":
            depth[stage] += count
    for name in ("ocr", "extract", "review", "sign", "archive"):
        queue.add_metric([name], depth[name])
    yield queue


def _stage_durations(session: Session) -> Iterator[Metric]:
    """Time between a document's consecutive state events, by the stage it was in and how it ended."""
    # per (stage, outcome): observations per bucket (the last one is +Inf) and their sum
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(STAGE_BUCKETS) + 1))
    sums: dict[tuple[str, str], float] = defaultdict(float)
    last: tuple[str | None, datetime] | None = None
    for document_id, from_state, to_state, at in state_changes(session):
        previous = last if last is not None and last[0] == document_id else None
        last = (document_id, at)
        stage = stage_of(from_state) if from_state else None
        if previous is None or stage is None:
            continue
        outcome = to_state if to_state in (S.FAILED.value, S.REJECTED.value) else "ok"
        seconds = max(0.0, (at - previous[1]).total_seconds())
        counts[(stage, outcome)][bisect_left(STAGE_BUCKETS, seconds)] += 1
        sums[(stage, outcome)] += seconds
    family = HistogramMetricFamily(
        "sohoa_stage_duration_seconds",
        "Time documents spent in each stage, from the catalogue's state events.",
        labels=["stage", "outcome"],
    )
    for key, per_bucket in sorted(counts.items()):
        cumulative = list(accumulate(per_bucket))
        bounds = [*(str(b) for b in STAGE_BUCKETS), "+Inf"]
        family.add_metric(list(key), list(zip(bounds, cumulative, strict=True)), sum_value=sums[key])
    yield family


def _work_done(session: Session) -> Iterator[Metric]:
    pages = count_ocr_pages(session)
    yield CounterMetricFamily("sohoa_ocr_pages", "Pages read by OCR (text layers not counted).", value=pages)
    signatures = count_signed_documents(session)
    yield CounterMetricFamily("sohoa_signatures", "Documents signed with the agency's key.", value=signatures)


def _failures(session: Session) -> Iterator[Metric]:
    ended = [S.FAILED.value, S.REJECTED.value]
    total = CounterMetricFamily(
        "sohoa_failures",
        "Documents that failed (retryable) or were rejected (bad input), by reason; refused files too.",
        labels=["state", "reason"],
    )
    for state, code, count in count_failures(session, ended):
        total.add_metric([state, code or "unknown"], count)
    for code, count in count_refusals(session):
        # files refused before they became documents (zip members, store errors)
        total.add_metric(["refused", code or "unknown"], count)
    yield total
    current = GaugeMetricFamily(
        "sohoa_documents_failing", "Documents now failed or rejected, by reason.", labels=["state", "reason"]
    )
    for state, code, count in count_failing_documents(session, ended):
        current.add_metric([state, code or "unknown"], count)
    yield current


def _coverage(session: Session, now: datetime) -> Iterator[Metric]:
    rates = GaugeMetricFamily(
        "sohoa_coverage_rate",
        "Share of paper results of dossiers resolved in the period that reached each indicator (0..1).",
        labels=["window", "period", "indicator"],
    )
    dossiers = GaugeMetricFamily(
        "sohoa_coverage_dossiers",
        "Dossiers resolved in the period, by digitization status.",
        labels=["window", "period", "status"],
    )
    received = GaugeMetricFamily(
        "sohoa_dossier_components",
        "Dossiers received in the period (dossiers_received, components_digitized) and their components "
        "(reused, resubmitted).",
        labels=["window", "period", "figure"],
    )
    for window, kind in (("month", PeriodKind.MONTH), ("year", PeriodKind.YEAR)):
        period = current_period(kind, now)
        values = count_coverage(session, period).to_dict()
        for status in ("resolved", "paper", "digitized", "signed", "archived", "fully_digitized", "missing"):
            dossiers.add_metric([window, period.label, status], values[status])
        for indicator in ("digitized", "signed", "archived", "fully_digitized"):
            rate = values[f"{indicator}_rate"]
            if rate is not None:  # no paper result yet: a rate would be invented
                rates.add_metric([window, period.label, indicator], rate)
        for figure in ("dossiers_received", "components_digitized", "reused", "resubmitted"):
            received.add_metric([window, period.label, figure], values[figure])
        # components: of dossiers received; reuse: reused / (reused + resubmitted)
        for indicator, key in (("components", "components_rate"), ("reuse", "reuse_rate")):
            if values[key] is not None:
                rates.add_metric([window, period.label, indicator], values[key])
    yield rates
    yield dossiers
    yield received
    entries = count_register_entries(session)
    yield GaugeMetricFamily("sohoa_register_entries", "Resolved dossiers in the register.", value=entries)
    procedures = count_procedures(session)
    yield GaugeMetricFamily("sohoa_catalogue_procedures", "Procedures in the catalogue.", value=procedures)


def _fixity(session: Session, now: datetime) -> Iterator[Metric]:
    """The last finished fixity audit: what it found and how long ago it ran."""
    last = last_fixity_run(session)
    if last is None or last.finished_at is None:
        return
    objects = GaugeMetricFamily(
        "sohoa_fixity_last_run_objects", "Archived objects in the last fixity audit, by result.", labels=["result"]
    )
    for result in ("checked", "intact", "mismatched", "missing", "unreadable"):
        objects.add_metric([result], getattr(last, result))
    yield objects
    yield GaugeMetricFamily(
        "sohoa_fixity_last_run_age_seconds",
        "Seconds since the last fixity audit finished.",
        value=(now - last.finished_at).total_seconds(),
    )


def build_metrics_registry(
    session: Session, *, now: datetime | None = None, certificate_not_after: datetime | None = None
) -> CollectorRegistry:
    """One scrape's registry; ``certificate_not_after`` comes from the signer when it could be read."""
    now = now or utcnow()
    families: list[Metric] = [
        *_documents_by_state(session),
        *_stage_durations(session),
        *_work_done(session),
        *_failures(session),
        *_coverage(session, now),
        *_fixity(session, now),
    ]
    if certificate_not_after is not None:
        days = (certificate_not_after - now).total_seconds() / 86400
        families.append(
            GaugeMetricFamily(
                "sohoa_signing_certificate_days_left",
                "Days until the signing certificate expires (negative: expired).",
                value=days,
            )
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return registry


def render_metrics(
    session: Session, *, now: datetime | None = None, certificate_not_after: datetime | None = None
) -> bytes:
    return generate_latest(build_metrics_registry(session, now=now, certificate_not_after=certificate_not_after))
