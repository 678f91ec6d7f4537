"""Events from threads, pools and workers land in the test they belong to, or are reported late
with it: never in an innocent test."""

from __future__ import annotations

import pytest

LATE_THREAD = """
import threading, time
import pytest, sentry_sdk

started = []

@pytest.fixture(autouse=True)
def sdk():
    sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", {options})

def test_a_starts_a_thread():
    def later():
        time.sleep(0.4)
        sentry_sdk.capture_message("from a's thread")
    thread = threading.Thread(target=later)
    thread.start()
    started.append(thread)

def test_b(sentry_events):
    time.sleep(0.05)

def test_c(sentry_events):
    started[0].join()
    sentry_sdk.capture_message("c's own")
    assert [e.message for e in sentry_events] == ["c's own"]
"""


@pytest.mark.parametrize(
    "options",
    [
        "",
        "default_integrations=False",
        "integrations=[], disabled_integrations=[__import__('sentry_sdk').integrations.threading.ThreadingIntegration()]",
    ],
    ids=["scope propagated", "no default integrations", "threading integration disabled"],
)
def test_a_thread_that_sends_two_tests_later_is_its_tests_late_arrival(
    pytester: pytest.Pytester, options: str
) -> None:
    pytester.makepyfile(LATE_THREAD.replace("{options}", options))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: late arrivals -*",
            "test_a_thread_that_sends_two_tests_later_is_its_tests_late_arrival.py::test_a_starts_a_thread: "
            "1 envelope (event) arrived after the test ended",
        ]
    )


def test_a_pool_thread_started_by_one_test_runs_the_next_tests_job_for_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from concurrent.futures import ThreadPoolExecutor
        import sentry_sdk

        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        pool = ThreadPoolExecutor(max_workers=1)

        def job(name):
            sentry_sdk.capture_message(name)

        def test_1_starts_the_pool(sentry_events):
            pool.submit(job, "one").result()
            assert [e.message for e in sentry_events] == ["one"]

        def test_2_reuses_its_thread(sentry_events):
            pool.submit(job, "two").result()
            assert [e.message for e in sentry_events] == ["two"]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "arrived after the test ended" not in result.stdout.str()


def test_a_worker_a_test_started_follows_the_running_test_when_it_opts_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import queue, threading
        import sentry_sdk
        from pytest_sentry_check import follow_running_test

        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        jobs, done = queue.Queue(), queue.Queue()

        def consume():
            follow_running_test()
            while (job := jobs.get()) is not None:
                sentry_sdk.capture_message(job)
                done.put(job)

        def run(job):
            jobs.put(job)
            done.get(timeout=5)

        def test_1_starts_the_worker(sentry_events):
            threading.Thread(target=consume, daemon=True).start()
            run("one")
            assert [e.message for e in sentry_events] == ["one"]

        def test_2_uses_it(sentry_events):
            run("two")
            assert [e.message for e in sentry_events] == ["two"]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "late arrivals" not in result.stdout.str()


def test_a_task_on_a_session_wide_loop_follows_the_running_test_when_it_opts_in(
    pytester: pytest.Pytester,
) -> None:
    """A task copies the context of the test that created it; follow_running_test() lets a
    task that serves every test send into the one running."""
    pytester.makepyfile(
        """
        import asyncio, threading
        import sentry_sdk
        from pytest_sentry_check import follow_running_test

        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        jobs = None

        async def serve(opt_in):
            if opt_in:
                follow_running_test()
            while (job := await jobs.get()) is not None:
                sentry_sdk.capture_message(job[0])
                job[1].set_result(None)

        async def _submit(name):
            future = loop.create_future()
            await jobs.put((name, future))
            await future

        def run(name):
            asyncio.run_coroutine_threadsafe(_submit(name), loop).result(timeout=5)

        async def _start(opt_in):
            global jobs
            jobs = asyncio.Queue()
            loop.create_task(serve(opt_in))

        def test_1_starts_the_server_task(sentry_events):
            asyncio.run_coroutine_threadsafe(_start(True), loop).result(timeout=5)
            run("one")
            assert [e.message for e in sentry_events] == ["one"]

        def test_2_uses_it(sentry_events):
            run("two")
            assert [e.message for e in sentry_events] == ["two"]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "arrived after the test ended" not in result.stdout.str()
