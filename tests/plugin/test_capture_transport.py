"""What the capture transport receives: every item type, wire-exact, and nothing sent out."""

from __future__ import annotations

import socket
import sys

import pytest


def test_every_item_type_is_captured(pytester: pytest.Pytester) -> None:
    """Errors, transactions, attachments, check-ins, logs, metrics, profiles and sessions."""
    pytester.makepyfile(
        """
        import time
        import sentry_sdk, sentry_sdk.metrics
        from sentry_sdk.crons import capture_checkin

        def test_items(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", enable_logs=True,
                            traces_sample_rate=1.0, profiles_sample_rate=1.0, release="shop@2.0.0")
            with sentry_sdk.new_scope() as scope:
                scope.add_attachment(bytes=b"\\xff\\xfe not utf-8", filename="dump.bin")
                sentry_sdk.capture_message("with attachment")
            capture_checkin(monitor_slug="nightly-report", status="ok")
            sentry_sdk.logger.warning("disk {pct} full", pct=91)
            sentry_sdk.metrics.count("checkout.started", 1, attributes={"plan": "pro"})
            with sentry_sdk.start_transaction(name="rebuild-index", op="task"):
                deadline = time.time() + 0.4  # the profiler needs a few samples, even on a busy machine
                while time.time() < deadline:
                    sum(range(1000))
            scope = sentry_sdk.get_isolation_scope()
            scope.start_session()
            scope.end_session()

            assert sentry_events.one().message == "with attachment"
            attachment = sentry_events.attachments.one(filename="dump.bin")
            assert attachment.event_id == sentry_events.one().event_id
            assert attachment.bytes == b"\\xff\\xfe not utf-8"
            assert attachment.text.endswith("not utf-8")
            assert sentry_events.check_ins.one(monitor_slug="nightly-report").status == "ok"
            log = sentry_events.logs.one(level="warn", body="disk 91 full")
            assert log.attributes["sentry.message.parameter.pct"] == 91
            assert log.attributes["sentry.message.template"] == "disk {pct} full"
            assert sentry_events.metrics.one(name="checkout.started", attributes={"plan": "pro"}).value == 1.0
            assert sentry_events.transactions.one(name="rebuild-index", op="task")
            assert sentry_events.profiles[0]["platform"] == "python"
            assert sentry_events.sessions.one(status="exited").release == "shop@2.0.0"
            types = sorted({item.type for envelope in sentry_events.envelopes for item in envelope.items})
            assert types == ["attachment", "check_in", "event", "log", "profile", "session",
                             "trace_metric", "transaction"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_streamed_spans_are_captured(pytester: pytest.Pytester) -> None:
    """With span streaming, each span arrives as its own item in sentry_events.spans."""
    pytester.makepyfile(
        """
        import sentry_sdk, sentry_sdk.traces

        def test_spans(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", traces_sample_rate=1.0,
                            trace_lifecycle="stream")
            with sentry_sdk.traces.start_span(name="checkout"):
                with sentry_sdk.traces.start_span(name="charge-card"):
                    pass
            assert [span.name for span in sentry_events.spans] == ["charge-card", "checkout"]
            assert sentry_events.spans.one(name="checkout").status == "ok"
            assert len(sentry_events.transactions) == 0
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_what_the_test_sees_is_after_scrubbing_and_before_send(pytester: pytest.Pytester) -> None:
    """The SDK's EventScrubber and the app's before_send have run; bytes and parse agree."""
    pytester.makepyfile(
        """
        import json
        import sentry_sdk

        def before_send(event, hint):
            event["tags"]["scrubbed_by"] = "before_send"
            return event

        def test_wire(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
            sentry_sdk.set_extra("password", "hunter2-example")
            sentry_sdk.set_tag("plan", "pro")
            sentry_sdk.capture_message("signup")
            event = sentry_events.one(tags={"scrubbed_by": "before_send", "plan": "pro"})
            assert event.extra["password"] == "[Filtered]"
            raw = sentry_events.raw_envelopes[0]
            assert b"hunter2-example" not in raw
            header, item_header, payload = raw.split(b"\\n")[:3]
            assert json.loads(payload) == dict(event)
            assert json.loads(header)["event_id"] == event.event_id
            assert json.loads(item_header)["type"] == "event"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_dropped_records_say_why(pytester: pytest.Pytester) -> None:
    """before_send returning None, sample_rate, ignore_errors and event processors are recorded."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def drop_health(event, hint):
            return None if event.get("message") == "health" else event

        def test_dropped(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=drop_health,
                            ignore_errors=[KeyError], traces_sample_rate=0.0)
            sentry_sdk.capture_message("health")
            try:
                raise KeyError("missing")
            except KeyError:
                sentry_sdk.capture_exception()
            with sentry_sdk.start_transaction(name="unsampled"):
                pass
            sentry_sdk.get_client().options["sample_rate"] = 0.0
            sentry_sdk.capture_message("sampled out")

            assert len(sentry_events) == 0
            dropped = sentry_events.dropped
            assert dropped.one(reason="before_send").category == "error"
            assert dropped.one(reason="ignore_errors").reported is False
            assert dropped.one(reason="sample_rate", category="error").quantity == 1
            assert dropped.one(reason="sample_rate", category="transaction").reported is True
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_unserializable_before_send_output_fails_the_test_clearly(
    pytester: pytest.Pytester,
) -> None:
    """Production's transport would drop the event silently; the test is told where and why."""
    pytester.makepyfile(
        """
        import datetime
        import sentry_sdk

        def before_send(event, hint):
            event["extra"]["seen_at"] = datetime.datetime(2026, 1, 2)
            return event

        def test_unserializable(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
            sentry_sdk.capture_message("order placed")
            assert len(sentry_events) == 0
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "sentry-check: the Sentry SDK swallowed 1 exception during this test:",
            "  serialization raised TypeError: Object of type datetime is not JSON serializable "
            "at event.extra.seen_at",
            "    the envelope could not be serialized, so in production the transport drops it "
            "and nothing reaches Sentry.",
        ],
        consecutive=True,
    )


def test_nan_from_before_send_is_reported_with_its_path(pytester: pytest.Pytester) -> None:
    """NaN is not JSON: the SDK's serializer refuses it, so the event never leaves."""
    pytester.makepyfile(
        """
        import pytest
        import sentry_sdk

        def before_send(event, hint):
            event["contexts"]["cart"] = {"total": float("nan")}
            return event

        @pytest.mark.sentry_check(sdk_errors="ignore")
        def test_nan(sentry_events):
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", before_send=before_send)
            sentry_sdk.capture_message("cart")
            [error] = sentry_events.sdk_errors
            assert error.source == "serialization"
            assert error.location == "event.contexts.cart.total"
            assert error.exception_type == "ValueError"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


NETWORK_GUARD = """
import socket, sys, threading

attempts = []

def guard(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        target = args[1] if event != "socket.getaddrinfo" else args[0]
        attempts.append((event, repr(target)))
        host = target[0] if isinstance(target, tuple) else target
        if str(host) not in ("127.0.0.1", "localhost", "::1"):
            raise ConnectionRefusedError("network guard: only loopback is allowed in tests")

sys.addaudithook(guard)

def pytest_sessionfinish(session):
    names = sorted({t.name for t in threading.enumerate()})
    print("\\nNETWORK ATTEMPTS:", attempts)
    print("THREADS:", names)
"""


def _loopback_dsn() -> tuple[socket.socket, str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server, f"http://publickey@127.0.0.1:{server.getsockname()[1]}/1"


def test_nothing_leaves_the_process(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """No socket, no HTTP worker: SENTRY_DSN and SENTRY_PRINT_ENVELOPES included (Spotlight,
    a local sidecar, is left as the app set it: test_drop_in_fidelity.py).

    The same suite without the plugin connects to the (loopback) DSN, so the guard can fail.
    """
    server, dsn = _loopback_dsn()
    monkeypatch.setenv("SENTRY_DSN", dsn)
    monkeypatch.setenv("SENTRY_PRINT_ENVELOPES", "1")
    pytester.makeconftest(NETWORK_GUARD)
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_app_sends(request):
            sentry_sdk.init(traces_sample_rate=1.0, enable_logs=True)
            with sentry_sdk.start_transaction(name="job"):
                sentry_sdk.capture_message("hello")
                sentry_sdk.logger.info("log line")
            sentry_sdk.flush()
            if request.config.pluginmanager.has_plugin("sentry_check"):
                events = request.getfixturevalue("sentry_events")
                assert events.one().message == "hello"
        """
    )
    try:
        with_plugin = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
        with_plugin.assert_outcomes(passed=1)
        with_plugin.stdout.fnmatch_lines(["NETWORK ATTEMPTS: []"])
        threads = with_plugin.stdout.str().split("THREADS:")[1].splitlines()[0]
        assert "BackgroundWorker" not in threads
        printed = "--- Sentry Envelope ---"  # what SENTRY_PRINT_ENVELOPES=1 logs per envelope
        assert printed not in with_plugin.stdout.str() + with_plugin.stderr.str()

        without = pytester.runpytest_subprocess("-s", "-p", "no:sentry_check", "-p", "no:cacheprovider")
        port = dsn.rsplit(":", 1)[1].split("/")[0]
        without.stdout.fnmatch_lines([f"NETWORK ATTEMPTS: [[]*('socket.connect', *('127.0.0.1', {port})*"])
        assert printed in without.stdout.str() + without.stderr.str()
    finally:
        server.close()


def test_an_init_at_import_time_is_captured_per_test(pytester: pytest.Pytester) -> None:
    """A client the app installs while conftest imports it keeps working, test after test."""
    pytester.makepyfile(
        app="""
        import sentry_sdk
        sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", environment="staging")

        def work(n):
            sentry_sdk.capture_message(f"work {n}")
        """
    )
    pytester.makeconftest("import app")
    pytester.makepyfile(
        """
        import app

        def test_first(sentry_events):
            app.work(1)
            assert [e.message for e in sentry_events] == ["work 1"]

        def test_second(sentry_events):
            app.work(2)
            assert [e.message for e in sentry_events] == ["work 2"]
            assert sentry_events.client_options["environment"] == "staging"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_client_made_before_the_plugin_loaded_is_adopted(pytester: pytest.Pytester) -> None:
    """An HTTP transport that exists before pytest starts is replaced, and killed."""
    server, dsn = _loopback_dsn()
    try:
        pytester.makepyfile(
            run=f"""
            import sentry_sdk, sys, pytest
            sentry_sdk.init(dsn={dsn!r})
            assert type(sentry_sdk.get_client().transport).__name__ == "HttpTransport"
            sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "test_adopt.py"]))
            """,
            test_adopt="""
            import sentry_sdk

            def test_adopted(sentry_events):
                assert type(sentry_sdk.get_client().transport).__name__ == "CaptureTransport"
                sentry_sdk.capture_message("adopted")
                assert sentry_events.one().message == "adopted"
            """,
        )
        result = pytester.run(sys.executable, "run.py")
        assert result.ret == 0, result.stdout.str()
    finally:
        server.close()
