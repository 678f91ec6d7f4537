"""A background worker: scheduled jobs with cron check-ins (``sentry_sdk.monitor`` and
``capture_checkin``), a transaction per task, structured logs (``sentry_sdk.logger``) and stdlib
logging, retries reported as messages, and failures with the job's payload in frame variables.
Its values look like secrets often: hex digests, object keys, UUIDs, timestamps, long order
numbers, connection URLs without passwords, SQL with big numbers.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from _sentry_helpers import add_breadcrumb, capture_message, init_sentry, job_scope
from sentry_sdk.crons import capture_checkin

NAME = "billing-worker"
#: the configurations its clean traffic runs under: send_default_pii off, and on where it has no credentials to send
CLEAN_PII = (False, True)
PLANT_ROUTE = None  # no HTTP: the request places are the services'

logger = logging.getLogger("worker.billing")
BROKER = "redis://cache.internal.example:6379/2"
MONITOR = {
    "schedule": {"type": "crontab", "value": "0 2 * * *"},
    "timezone": "Europe/Berlin",
    "max_runtime": 30,
}


class ExportFailed(Exception):
    pass


def _invoice_key(n: int) -> str:
    return f"invoices/2026/12/inv_{n:06d}-{hashlib.sha1(str(n).encode()).hexdigest()[:12]}.pdf"


def render_invoice(n: int) -> dict[str, Any]:
    job = {
        "invoice_id": f"inv_{n:06d}",
        "order_number": 4471234567890 + n,  # 13 digits: not a card without a card key
        "customer": f"cus_Q{n:04d}xk",
        "amount": n * 1999,
        "currency": "EUR",
        "object_key": _invoice_key(n),
        "etag": hashlib.md5(str(n).encode()).hexdigest(),
        "retry_policy": "exponential",
        "token_bucket": {"capacity": 50, "refill_rate": 5},
    }
    with sentry_sdk.start_span(
        op="db.query", name="SELECT * FROM invoices WHERE id = %s LIMIT 20 OFFSET 4000000"
    ):
        pass
    with sentry_sdk.start_span(
        op="http.client", name=f"PUT https://s3.eu-west-1.amazonaws.com/{job['object_key']}"
    ) as span:
        span.set_data("http.response.status_code", 200)
        span.set_data("aws.request_id", f"{uuid.UUID(int=n).hex.upper()[:16]}")
        span.set_data("content_sha256", hashlib.sha256(str(n).encode()).hexdigest())
    if n % 9 == 4:
        raise ExportFailed(f"upload of {job['object_key']} failed after 3 retries (HTTP 503)")
    return job


def run_task(name: str, n: int) -> None:
    """One task from the queue: its own scope and transaction, a log per outcome."""
    with (
        job_scope(name, queue="billing"),
        sentry_sdk.start_transaction(name=f"tasks.{name}", op="queue.task"),
    ):
        sentry_sdk.set_context("job", {"id": str(uuid.UUID(int=n)), "attempt": 1 + n % 3, "broker": BROKER})
        add_breadcrumb(f"task {name} received", category="queue", attempt=1 + n % 3)
        try:
            job = render_invoice(n)
        except ExportFailed:
            sentry_sdk.capture_exception()
            logger.warning("retrying invoice %s in %ss", n, 30 * (1 + n % 3))
            return
        sentry_sdk.logger.info(
            "invoice {invoice_id} rendered in {duration_ms} ms",
            invoice_id=job["invoice_id"],
            duration_ms=120 + n,
            attributes={"job.queue": "billing", "job.attempt": 1 + n % 3, "session_count": n % 4},
        )
        if n % 7 == 6:
            capture_message(
                f"invoice {job['invoice_id']} retried {n % 5} times", level="warning", queue="billing"
            )


@sentry_sdk.monitor(monitor_slug="nightly-invoice-run", monitor_config=MONITOR)  # type: ignore[arg-type]
def nightly_invoice_run(batch: range) -> None:
    for n in batch:
        run_task("render_invoice", n)
    logger.info("nightly run rendered %d invoices", len(batch))


def reconcile_payouts(day: int) -> None:
    """A job that reports its own check-ins, as workers without the decorator do."""
    check_in_id = capture_checkin(monitor_slug="payout-reconciliation", status="in_progress")
    with sentry_sdk.start_transaction(name="tasks.reconcile_payouts", op="queue.task"):
        sentry_sdk.logger.info(
            "reconciling payouts for day {day}", day=day, attributes={"payout.batch_size": 250}
        )
        if day % 4 == 3:
            logger.error("payout reconciliation for day %s is off by %s cents", day, day * 17)
            capture_checkin(monitor_slug="payout-reconciliation", check_in_id=check_in_id, status="error")
            return
    capture_checkin(monitor_slug="payout-reconciliation", check_in_id=check_in_id, status="ok", duration=1.5)


def init(*, planted: bool = False, pii: bool = False) -> None:
    init_sentry(NAME, "1.9.0", planted=planted, pii=pii)


def traffic(client: object = None) -> None:
    """Two nightly runs, six days of reconciliations, and tasks run on worker threads."""
    for night in range(2):
        nightly_invoice_run(range(night * 10, night * 10 + 10))
    for day in range(6):
        reconcile_payouts(day)
    threads = [threading.Thread(target=run_task, args=("send_receipt", 100 + n)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@contextmanager
def scene() -> Iterator[None]:
    """A task's scope, as ``run_task`` sets it before the task's own data."""
    with job_scope("render_invoice", queue="billing"):
        sentry_sdk.set_context("job", {"id": str(uuid.UUID(int=42)), "attempt": 1, "broker": BROKER})
        add_breadcrumb("task render_invoice received", category="queue", attempt=1)
        yield
