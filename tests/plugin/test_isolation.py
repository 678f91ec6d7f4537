"""Each test sees only its own events and scope data, whatever thread or task sent them."""

from __future__ import annotations

import pytest


def test_scope_data_does_not_leak_into_the_next_test(pytester: pytest.Pytester) -> None:
    """Tags, user, contexts and breadcrumbs set in one test are gone in the next."""
    pytester.makepyfile(
        """
        import sentry_sdk
        # release given, so the SDK does not run `git rev-parse` (which leaves a breadcrumb)
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", release="checkout@1.0.0")
        sentry_sdk.get_global_scope().set_tag("service", "checkout")

        def test_sets_everything(sentry_events):
            sentry_sdk.set_tag("tenant", "acme")
            sentry_sdk.set_user({"id": "u1"})
            sentry_sdk.set_context("cart", {"items": 3})
            sentry_sdk.add_breadcrumb(message="added to cart")
            sentry_sdk.capture_message("first")
            assert sentry_events.one(tags={"tenant": "acme", "service": "checkout"}).user == {"id": "u1"}

        def test_starts_clean(sentry_events):
            assert len(sentry_events) == 0
            sentry_sdk.capture_message("second")
            event = sentry_events.one()
            assert event.tags == {"service": "checkout"}
            assert event.user == {}
            assert "cart" not in event.contexts
            assert event.breadcrumbs == []
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_threads_tasks_and_thread_pools_are_captured(pytester: pytest.Pytester) -> None:
    """Events from threads, executors and asyncio tasks land in the running test."""
    pytester.makepyfile(
        """
        import asyncio, threading
        from concurrent.futures import ThreadPoolExecutor
        import sentry_sdk

        def test_concurrency(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            thread = threading.Thread(target=sentry_sdk.capture_message, args=("from thread",))
            thread.start()
            thread.join()
            with ThreadPoolExecutor(2) as pool:
                pool.submit(sentry_sdk.capture_message, "from pool").result()

            async def task():
                sentry_sdk.capture_message("from task")
            asyncio.run(task())
            assert sorted(e.message for e in sentry_events) == ["from pool", "from task", "from thread"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_wait_for_events_sent_later(pytester: pytest.Pytester) -> None:
    """wait_for returns once enough matching events arrived from a background thread."""
    pytester.makepyfile(
        """
        import threading
        import sentry_sdk

        def test_wait(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            def later():
                for n in range(3):
                    sentry_sdk.capture_message(f"tick {n}", level="warning")
            timer = threading.Timer(0.2, later)
            timer.start()
            ticks = sentry_events.wait_for(3, timeout=5, level="warning")
            assert [e.message for e in ticks] == ["tick 0", "tick 1", "tick 2"]
            timer.join()
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_wait_for_timeout_says_what_arrived(pytester: pytest.Pytester) -> None:
    """On timeout, wait_for reports how many matched and lists the other candidates."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_wait(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            sentry_sdk.capture_message("tick", level="info")
            sentry_events.wait_for(2, timeout=0.2, level="warning")
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: sentry_events.wait_for(count=2, timeout=0.2, level='warning'): "
            "0 of 2 matching events arrived within 0.2 s; amongst 1 event:",
            "E         1. message 'tick' (level=info)",
            "E            - level: expected 'warning', got 'info'",
        ],
        consecutive=True,
    )


def test_late_events_stay_with_the_test_that_sent_them(pytester: pytest.Pytester) -> None:
    """A thread still running after its test ends is reported, never mixed into the next."""
    pytester.makepyfile(
        """
        import threading, time
        import sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        started = []

        def test_leaves_a_thread_behind():
            def later():
                time.sleep(0.3)
                sentry_sdk.capture_message("too late")
            thread = threading.Thread(target=later)
            thread.start()
            started.append(thread)

        def test_next(sentry_events):
            started[0].join()
            sentry_sdk.capture_message("mine")
            assert [e.message for e in sentry_events] == ["mine"]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: late arrivals -*",
            "test_late_events_stay_with_the_test_that_sent_them.py::test_leaves_a_thread_behind: "
            "1 envelope (event) arrived after the test ended",
        ],
    )


def test_capture_false_opts_a_test_out(pytester: pytest.Pytester) -> None:
    """capture=False: nothing is recorded for the test, and asking for sentry_events says why."""
    pytester.makepyfile(
        """
        import pytest, sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")

        @pytest.mark.sentry_check(capture=False)
        def test_out(sentry_events):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "sentry_events: this test does not capture (it is marked "
            "@pytest.mark.sentry_check(capture=False), or the plugin is not active)"
        ]
    )


def test_the_scopes_are_the_tests_whoever_uses_them_first(pytester: pytest.Pytester) -> None:
    """The test's copies of the scopes are made when the SDK first asks for one, but they belong
    to the test: an asyncio task or a thread that asks first shares them with the test body
    (as with copies made when the test started), and they are gone in the next test."""
    pytester.makepyfile(
        """
        import asyncio, threading
        import pytest
        import sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", release="checkout@1.0.0")

        @pytest.fixture
        def tenant():
            sentry_sdk.set_tag("tenant", "acme")  # in the fixture: the first use

        def test_a_task_asks_first(sentry_events):
            async def tag():
                sentry_sdk.set_tag("from_task", "yes")  # the task runs in a copy of the context
            asyncio.run(tag())
            sentry_sdk.capture_message("after the task")
            assert sentry_events.one().tags == {"from_task": "yes"}

        def test_a_thread_asks_first(sentry_events):
            thread = threading.Thread(target=sentry_sdk.set_user, args=({"id": "u7"},))
            thread.start()
            thread.join()
            sentry_sdk.capture_message("after the thread")
            assert sentry_events.one().user == {}  # a thread gets a copy (sentry-sdk's rule)

        def test_a_fixture_asks_first(tenant, sentry_events):
            sentry_sdk.capture_message("in the body")
            assert sentry_events.one().tags == {"tenant": "acme"}

        def test_nothing_is_left(sentry_events):
            sentry_sdk.capture_message("clean")
            event = sentry_events.one()
            assert event.tags == {} and event.user == {}

        def test_a_test_that_never_uses_the_sdk_gets_no_copies():
            from sentry_sdk import scope
            from pytest_sentry_check._capture.scopes import _lazy
            assert _lazy.get().forked is None
            assert scope._isolation_scope.get() is _lazy.get().base[1]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=5)


def test_nested_capture_starts_from_the_tests_scopes(pytester: pytest.Pytester) -> None:
    """``capture()`` inside a test sees what the test set, and what it sets stays inside."""
    pytester.makepyfile(
        """
        import sentry_sdk
        from pytest_sentry_check import capture
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", release="checkout@1.0.0")

        def test_nested(sentry_events):
            sentry_sdk.set_tag("outer", "1")
            with capture() as inner:
                sentry_sdk.set_tag("inner", "1")
                sentry_sdk.capture_message("inside")
            sentry_sdk.capture_message("outside")
            assert inner.one().tags == {"outer": "1", "inner": "1"}
            assert sentry_events.one(message="outside").tags == {"outer": "1"}
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_work_a_test_leaves_behind_never_reaches_the_next_test(pytester: pytest.Pytester) -> None:
    """A context copied during a test keeps that test's scopes, even when it first uses the SDK
    after the test ended; a nested capture opened by a background task does not send the body's
    data to the scopes every later test starts from."""
    pytester.makepyfile(
        """
        import asyncio, contextvars, threading
        import sentry_sdk
        from pytest_sentry_check import capture
        sentry_sdk.init(dsn="https://k@o0.ingest.sentry.invalid/0", release="checkout@1.0.0")
        go, done = threading.Event(), threading.Event()

        def leftover():
            go.wait()
            sentry_sdk.set_user({"id": "user-of-test-1"})
            done.set()

        def test_1_hands_off_work():
            context = contextvars.copy_context()  # nothing asked for a scope yet
            threading.Thread(target=context.run, args=(leftover,), daemon=True).start()

        def test_2_a_background_capture():
            async def body():
                started, release = asyncio.Event(), asyncio.Event()

                async def background():
                    with capture():
                        started.set()
                        await release.wait()

                task = asyncio.create_task(background())
                await started.wait()
                sentry_sdk.set_tag("leaky", "from-test-2")  # the body's own tag
                release.set()
                await task
            asyncio.run(body())

        def test_3_starts_clean(sentry_events):
            go.set()
            done.wait()
            sentry_sdk.capture_message("test 3")
            event = sentry_events.one()
            assert event.user == {} and event.tags == {}
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_what_a_thread_started_at_import_logs_is_flushed_into_the_running_test(
    pytester: pytest.Pytester,
) -> None:
    """Logs buffered by a thread that never touched the test's scopes are still flushed at the
    end of the test that made it log, so the gate blames that test."""
    pytester.makepyfile(
        """
        import queue, threading
        import pytest
        import sentry_sdk
        sentry_sdk.init(dsn="https://k@o0.ingest.sentry.invalid/0", enable_logs=True)
        jobs, done = queue.Queue(), queue.Queue()

        def work():
            while True:
                jobs.get()
                sentry_sdk.logger.info("charging with api_key=sk_live_" + "abcdefghijklmnopqrstuvwx")
                done.put(1)

        threading.Thread(target=work, daemon=True).start()  # started at import

        def test_1_job():
            jobs.put(1)
            done.get()

        @pytest.mark.sentry_check(gate="off")
        def test_2_other(sentry_events):
            sentry_sdk.capture_message("hello")
            assert list(sentry_events.logs) == []
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_1_job _*",
            "sentry-check: the application sent secrets or personal data to Sentry (1 finding, 1 leak group):",
            "  [[]critical] stripe-secret-key (Stripe secret key) at log:items.0.body: sk_…[[]32 chars] in log",
        ]
    )
