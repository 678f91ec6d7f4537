"""Celery: tasks run eagerly in the test, or on a real worker thread (``celery_worker``).

The CeleryIntegration names each task's transaction after the task (``jobs.app.resize``, source
``task``, op ``queue.task.celery``) and reports a failing task's exception with the same name;
``sentry_sdk.crons.monitor`` sends an ``in_progress`` check-in, then ``ok`` or ``error``.
"""

import pytest
import sentry_sdk
from jobs.app import app, charge, import_feed, nightly_report, resize


@pytest.fixture(autouse=True)
def in_memory():
    """The service's app on Celery's in-memory transports: no broker or result store to run."""
    app.conf.update(broker_url="memory://", result_backend="cache+memory://")


@pytest.fixture
def celery_app():
    """Celery's fixtures (``celery_worker``) run the service's own app."""
    return app


@pytest.fixture(scope="session")
def celery_includes():
    """The worker's start-up check sends Celery's own ping task."""
    return ("celery.contrib.testing.tasks",)


@pytest.fixture
def eager():
    """Tasks run in the calling thread (``task_always_eager``)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_eager_task_transaction_is_named_after_the_task(eager, sentry_events):
    assert resize.delay("img-1").get() == "img-1-small"
    tx = sentry_events.transactions.one(name="jobs.app.resize")
    assert tx.op == "queue.task.celery"
    assert tx["transaction_info"] == {"source": "task"}
    assert tx.status == "ok"


def test_eager_failing_task_sends_its_error(eager, sentry_events):
    with pytest.raises(LookupError):
        charge.delay("o-9").get()
    event = sentry_events.one(exception_type=LookupError, transaction="jobs.app.charge")
    assert event.exceptions[0]["mechanism"] == {"type": "celery", "handled": False}
    # the task's arguments are filtered unless the app sends PII
    assert event.extra["celery-job"]["args"] == "[Filtered]"


def test_worker_runs_the_task_in_the_callers_trace(celery_worker, sentry_events):
    with sentry_sdk.start_transaction(name="checkout", op="function") as caller:
        assert resize.delay("img-2").get(timeout=10) == "img-2-small"
    # the worker thread finishes the task's transaction after it stores the result: wait for it
    (tx,) = sentry_events.transactions.wait_for(name="jobs.app.resize")
    assert tx.op == "queue.task.celery"
    assert tx.trace["trace_id"] == caller.trace_id
    assert sentry_events.transactions.one(name="checkout").trace["trace_id"] == caller.trace_id


def test_worker_failing_task_sends_its_error(celery_worker, sentry_events):
    with pytest.raises(LookupError):
        charge.delay("o-9").get(timeout=10)
    (event,) = sentry_events.wait_for(exception_type=LookupError)
    assert event.transaction == "jobs.app.charge"
    assert event.tags["celery_task_id"]


def test_cron_job_checks_in(eager, sentry_events):
    nightly_report.delay().get()
    started = sentry_events.check_ins.one(monitor_slug="nightly-report", status="in_progress")
    finished = sentry_events.check_ins.one(monitor_slug="nightly-report", status="ok")
    assert finished["check_in_id"] == started["check_in_id"]
    assert finished["duration"] >= 0


def test_failing_cron_job_checks_in_with_error(eager, sentry_events):
    with pytest.raises(ConnectionError):
        import_feed.delay().get()
    assert [c.status for c in sentry_events.check_ins.filter(monitor_slug="feed-import")] == [
        "in_progress",
        "error",
    ]
    sentry_events.one(exception_type=ConnectionError, transaction="jobs.app.import_feed")
