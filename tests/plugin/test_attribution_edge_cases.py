"""Edge cases of attribution and of a test's lifecycle: each once reported as a bug."""

from __future__ import annotations

import threading

import pytest


def test_overrides_do_not_stick_to_a_client_made_during_a_marked_test(pytester: pytest.Pytester) -> None:
    """A session fixture's client created inside a marked test returns to its own options after it."""
    pytester.makeconftest(
        """
        import pytest, sentry_sdk

        @pytest.fixture(scope="session")
        def app():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=0.0, environment="prod")
        """
    )
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        @pytest.mark.sentry_check(options={"traces_sample_rate": 1.0, "environment": "marker-env"})
        def test_a_marked(app, sentry_events):
            assert sentry_sdk.get_client().options["environment"] == "marker-env"

        def test_b_unmarked(app, sentry_events):
            options = sentry_sdk.get_client().options
            assert (options["traces_sample_rate"], options["environment"]) == (0.0, "prod")
            sentry_sdk.capture_message("b")
            assert sentry_events.one().environment == "prod"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_worker_thread_from_a_session_fixture_serves_every_test(pytester: pytest.Pytester) -> None:
    """A long-lived consumer started by a fixture sends into the test that is running."""
    pytester.makeconftest(
        """
        import queue, threading, pytest, sentry_sdk

        @pytest.fixture(scope="session")
        def worker():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
            jobs, done = queue.Queue(), queue.Queue()
            def consume():
                while (job := jobs.get()) is not None:
                    sentry_sdk.capture_message(job)
                    done.put(job)
            thread = threading.Thread(target=consume)
            thread.start()
            yield lambda job: (jobs.put(job), done.get(timeout=5))
            jobs.put(None)
            thread.join()
        """
    )
    pytester.makepyfile(
        """
        def test_one(worker, sentry_events):
            worker("one")
            assert [e.message for e in sentry_events] == ["one"]

        def test_two(worker, sentry_events):
            worker("two")
            assert [e.message for e in sentry_events] == ["two"]
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "late arrivals" not in result.stdout.str()


def test_an_opted_out_test_neither_leaks_scope_data_nor_blames_another_test(
    pytester: pytest.Pytester,
) -> None:
    """capture=False still isolates: its tag and its event stay inside it."""
    pytester.makepyfile(
        """
        import pytest, sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", release="r@1")

        def test_first(sentry_events):
            pass

        @pytest.mark.sentry_check(capture=False)
        def test_opted_out():
            sentry_sdk.set_tag("leaky", "yes")
            sentry_sdk.capture_message("opted out")

        def test_third(sentry_events):
            sentry_sdk.capture_message("third")
            assert sentry_events.one().tags == {}
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=3)
    assert "late arrivals" not in result.stdout.str()


def test_clear_does_not_hide_a_swallowed_exception(pytester: pytest.Pytester) -> None:
    """clear() forgets events, not the before_send that raised."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_warm_up_then_clear(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=lambda e, h: e["nope"])
            sentry_sdk.capture_message("warm-up")
            sentry_events.clear()
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["  before_send (*.test_warm_up_then_clear.<locals>.<lambda>) raised KeyError: 'nope'"]
    )


def test_capture_envelopes_items_have_their_json(pytester: pytest.Pytester) -> None:
    """As in sentry-python's fixture, every JSON item's payload.json is set."""
    pytester.makepyfile(
        """
        import sentry_sdk
        from sentry_sdk.crons import capture_checkin

        def test_items(sentry_init, capture_envelopes):
            sentry_init(enable_logs=True)
            envelopes = capture_envelopes()
            capture_checkin(monitor_slug="nightly", status="ok")
            sentry_sdk.logger.info("hello")
            sentry_sdk.flush()
            check_in, log = (envelope.items[0] for envelope in envelopes)
            assert check_in.payload.json["monitor_slug"] == "nightly"
            assert log.payload.json["items"][0]["body"] == "hello"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_sentry_init_closes_its_clients(pytester: pytest.Pytester) -> None:
    """Thirty tests with logs enabled leave no batcher threads behind."""
    pytester.makepyfile(
        """
        import threading, pytest, sentry_sdk

        def batchers():
            return [t for t in threading.enumerate() if "atcher" in t.name or "flush" in t.name.lower()]

        before = []

        def test_baseline():
            before.extend(batchers())

        @pytest.mark.parametrize("n", range(30))
        def test_logs(sentry_init, n):
            sentry_init(enable_logs=True)
            sentry_sdk.logger.info("x")

        def test_threads_afterwards():
            new = [t.name for t in batchers() if t not in before]
            assert len(new) <= 2, new
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=32)


def test_summary_and_late_arrivals_reach_the_xdist_controller(pytester: pytest.Pytester) -> None:
    """With -n 2, the controller prints every worker's summary and late arrivals."""
    pytester.makepyfile(
        """
        import threading, time, sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", release="r@1")
        holder = []

        def test_sends():
            sentry_sdk.capture_message("hello")

        def test_leaves_a_thread():
            thread = threading.Thread(target=lambda: (time.sleep(0.2), sentry_sdk.capture_message("late")))
            thread.start()
            holder.append(thread)

        def test_waits():
            holder and holder[0].join()
        """
    )
    result = pytester.runpytest_subprocess(
        "-n", "2", "--sentry-summary", "-p", "no:randomly", "--dist", "loadfile"
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: what each test sent to Sentry -*",
            "test_summary_and_late_arrivals_reach_the_xdist_controller.py::test_sends: 1 event",
            "*tests sent something to Sentry*",
            "*- sentry-check: late arrivals -*",
            "test_summary_and_late_arrivals_reach_the_xdist_controller.py::test_leaves_a_thread: "
            "1 envelope (event) arrived after the test ended",
        ]
    )


def test_threads_still_running_at_the_end_are_reported(pytester: pytest.Pytester) -> None:
    """What cannot be attributed any more is said, not silently lost."""
    pytester.makepyfile(
        """
        import threading, time

        def test_last():
            threading.Thread(target=time.sleep, args=(1.0,), name="slow-sender").start()
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "1 thread started by tests still running at the end of the session (slow-sender): what they send "
            "from now on is not reported"
        ]
    )
    assert threading.active_count() >= 1


def test_what_a_conftest_setup_hook_sends_belongs_to_its_test(pytester: pytest.Pytester) -> None:
    """The capture opens before any other setup hook or wrapper: what they send is the test's,
    and the scope data they set stays in it."""
    pytester.makeconftest(
        """
        import pytest, sentry_sdk

        sentry_sdk.init(dsn="https://k@o0.ingest.sentry.invalid/0")

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_setup(item):
            if item.name == "test_two":
                sentry_sdk.set_tag("seeded_for", item.name)
                sentry_sdk.capture_message("seeding the account")
            return (yield)

        class Seeder:
            @pytest.hookimpl(tryfirst=True)
            def pytest_runtest_setup(self, item):
                if item.name == "test_two":
                    sentry_sdk.capture_message("seeding the cart")

        def pytest_configure(config):
            config.pluginmanager.register(Seeder())
        """
    )
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_two(sentry_events):
            assert [e.message for e in sentry_events] == ["seeding the account", "seeding the cart"]

        def test_three(sentry_events):
            sentry_sdk.capture_message("three")
            assert "seeded_for" not in sentry_events.one().tags
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert "arrived after the test ended" not in result.stdout.str()


def test_a_marker_a_fixture_adds_to_a_class_applies_to_its_later_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, sentry_sdk

        sentry_sdk.init(dsn="https://k@o0.ingest.sentry.invalid/0", environment="prod")

        class TestStaging:
            @pytest.fixture(autouse=True, scope="class")
            def staging(self, request):
                request.applymarker(pytest.mark.sentry_check(options={"environment": "staging"}))

            def test_first(self):
                pass

            def test_second(self, sentry_events):
                sentry_sdk.capture_message("hi")
                assert sentry_events.one().environment == "staging"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_conftest_report_hook_sees_a_leaking_test_failed(pytester: pytest.Pytester) -> None:
    """ "On failure" hooks (screenshots, keeping the database) see the outcome the gate gave."""
    pytester.makeconftest(
        """
        import pytest, sentry_sdk

        sentry_sdk.init(dsn="https://k@o0.ingest.sentry.invalid/0")
        seen = []

        @pytest.hookimpl(wrapper=True, tryfirst=True)
        def pytest_runtest_makereport(item, call):
            report = yield
            if report.when == "call":
                seen.append(f"{item.name}={report.outcome}")
            return report

        def pytest_unconfigure(config):
            print("seen by conftest:", ", ".join(seen))
        """
    )
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_clean():
            pass

        def test_leaks():
            sentry_sdk.capture_message("for ana.lopez@" + "shop.example")

        def test_after():
            pass
        """
    )
    # --sentry-fail-on=medium: the email fails the test
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "--sentry-fail-on=medium"
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["seen by conftest: test_clean=passed, test_leaks=failed, test_after=passed"])


@pytest.mark.parametrize("fixture_uses_the_scope", [True, False], ids=["scope-forked-in-setup", "not-forked"])
def test_an_event_made_in_a_tests_scope_after_it_ended_is_its_late_arrival(
    pytester: pytest.Pytester, fixture_uses_the_scope: bool
) -> None:
    """A session-wide worker that sends later with the scope a test handed it (a task queue):
    the event is that test's late arrival, not the next test's, also when a fixture used the
    SDK's scope before the body started (the test's scope copies then exist before the body
    starts, and the mark is added to them then)."""
    pytester.makepyfile(
        f"""
        import queue, threading, pytest, sentry_sdk
        from sentry_sdk.scope import use_isolation_scope
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        go, jobs, done = threading.Event(), queue.Queue(), queue.Queue()

        def consume():
            scope = jobs.get()
            go.wait(5)
            with use_isolation_scope(scope):
                sentry_sdk.capture_message("sent for the first test")
            done.put(True)

        worker = threading.Thread(target=consume, daemon=True)
        worker.start()

        @pytest.fixture
        def tagged():
            if {fixture_uses_the_scope}:
                sentry_sdk.set_tag("fixture", "yes")

        def test_hands_its_scope_to_the_worker(tagged):
            jobs.put(sentry_sdk.get_isolation_scope())

        def test_next(sentry_events):
            go.set()
            done.get(timeout=5)
            assert [event.message for event in sentry_events] == []
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*- sentry-check: late arrivals -*",
            "test_an_event_made_in_a_tests_scope_after_it_ended_is_its_late_arrival.py::"
            "test_hands_its_scope_to_the_worker: 1 envelope (event) arrived after the test ended",
        ]
    )
