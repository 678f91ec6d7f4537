"""A Celery service: sentry_sdk.init where the worker imports its tasks, two cron jobs."""

import sentry_sdk
from celery import Celery
from sentry_sdk.crons import monitor
from sentry_sdk.integrations.celery import CeleryIntegration

sentry_sdk.init(
    dsn="https://key@o1.ingest.sentry.io/1",
    release="jobs@1.0",
    traces_sample_rate=0.2,
    integrations=[CeleryIntegration()],
)

app = Celery("jobs", broker="redis://localhost:6379/0")


@app.task
def resize(image_id: str) -> str:
    return f"{image_id}-small"


@app.task
def charge(order_id: str) -> None:
    raise LookupError(f"no order {order_id}")


@app.task
def nightly_report() -> int:
    with monitor(monitor_slug="nightly-report"):
        return 3


@app.task
def import_feed() -> None:
    with monitor(monitor_slug="feed-import"):
        raise ConnectionError("feed unreachable")
