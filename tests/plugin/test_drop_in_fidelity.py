"""sentry_init, capture_events and capture_envelopes behave as sentry-python's own fixtures did,
Spotlight stays as the app set it, and a suite with its own test transports keeps them
(``passthrough``: per test, per module, ini)."""

from __future__ import annotations

import pytest

RECORDING_TRANSPORT = """
from sentry_sdk.transport import Transport

class RecordingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)
"""


def test_sentry_init_invents_no_dsn_and_leaves_the_trace_context_alone(pytester: pytest.Pytester) -> None:
    """No DSN unless given (sentry-python's fixture set none): no public key in the baggage or
    the envelope's trace header; a DSN given is used as is."""
    pytester.makepyfile(
        """
        import sentry_sdk
        from pytest_sentry_check.plugin import TEST_DSN

        def test_no_dsn(sentry_init, sentry_events):
            sentry_init(traces_sample_rate=1.0)
            with sentry_sdk.start_transaction(name="job"):
                baggage = sentry_sdk.get_baggage()
            assert sentry_events.client_options["dsn"] is None
            assert "sentry-public_key" not in baggage
            (envelope,) = sentry_events.envelopes
            assert "public_key" not in envelope.headers["trace"]
            assert "dsn" not in envelope.headers

        def test_given_dsn(sentry_init, sentry_events):
            sentry_init(dsn=TEST_DSN)
            assert sentry_events.client_options["dsn"] == TEST_DSN
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_sentry_init_keeps_an_explicit_transport(pytester: pytest.Pytester) -> None:
    """sentry_init(transport=X): the client's transport is X, X gets every envelope, and so do
    sentry_events, capture_events and the gate."""
    pytester.makepyfile(recording=RECORDING_TRANSPORT)
    pytester.makepyfile(
        """
        import sentry_sdk
        from recording import RecordingTransport

        def test_kept(sentry_init, sentry_events, capture_events):
            transport = RecordingTransport()
            sentry_init(transport=transport)
            events = capture_events()
            assert sentry_sdk.get_client().transport is transport
            sentry_sdk.capture_message("hello")
            assert [e.get_event()["message"] for e in transport.envelopes] == ["hello"]
            assert [e["message"] for e in events] == ["hello"]
            assert sentry_events.one().message == "hello"

        def test_leaked(sentry_init):
            sentry_init(transport=RecordingTransport())
            sentry_sdk.capture_message("token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_leaked*", "*GitHub*token*"])


def test_spotlight_is_left_as_the_app_set_it(pytester: pytest.Pytester) -> None:
    """spotlight=URL: the client keeps its Spotlight, which posts each envelope to the (loopback)
    sidecar; the test's capture gets it too."""
    pytester.makepyfile(
        """
        import http.server, threading
        import sentry_sdk

        def test_spotlight(sentry_init, sentry_events):
            received = []

            class Sidecar(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    received.append(self.rfile.read(int(self.headers["Content-Length"])))
                    self.send_response(200)
                    self.end_headers()

                def log_message(self, *args):
                    pass

            server = http.server.HTTPServer(("127.0.0.1", 0), Sidecar)
            threading.Thread(target=server.handle_request, daemon=True).start()
            url = f"http://127.0.0.1:{server.server_port}/stream"
            sentry_init(spotlight=url)
            assert sentry_sdk.get_client().spotlight.url == url
            sentry_sdk.capture_message("to the sidecar")
            assert sentry_events.one().message == "to the sidecar"
            for _ in range(50):
                if received:
                    break
                threading.Event().wait(0.1)
            server.server_close()
            assert b"to the sidecar" in received[0]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_capture_envelopes_returns_the_envelopes_the_sdk_built(pytester: pytest.Pytester) -> None:
    """No ``length`` item header added by a wire round trip, an attachment from a path not read
    into bytes: the Envelope objects the SDK handed its transport; capture_events' payloads too."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_built(sentry_init, capture_envelopes, capture_events, tmp_path, sentry_events):
            path = tmp_path / "report.txt"
            path.write_text("attached")
            sentry_init()
            envelopes = capture_envelopes()
            events = capture_events()
            with sentry_sdk.new_scope() as scope:
                scope.add_attachment(path=str(path))
                sentry_sdk.capture_message("with attachment")
            (envelope,) = envelopes
            event_item, attachment = envelope.items
            assert "length" not in event_item.headers
            assert attachment.payload.path == str(path)
            assert attachment.payload.bytes is None
            assert events == [event_item.payload.json]
            # the gate and sentry_events still read the bytes as sent
            assert sentry_events.attachments.one().bytes == b"attached"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_broken_buffer_gets_no_error_from_the_plugin(pytester: pytest.Pytester) -> None:
    """A test that leaves its client's log buffer broken on purpose: the plugin's flush at the
    end of the body and the fixture's close at teardown raise nothing."""
    pytester.makepyfile(
        """
        import sentry_sdk

        def test_broken(sentry_init):
            sentry_init(enable_logs=True)
            sentry_sdk.logger.info("one line")
            sentry_sdk.get_client().log_batcher._buffer = 42  # not a list any more
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert "TypeError" not in result.stdout.str()


PASSTHROUGH_SUITE = """
import sentry_sdk
from recording import RecordingTransport

def test_own_transport(sentry_events):
    transport = RecordingTransport()
    sentry_sdk.init(transport=transport)
    assert sentry_sdk.get_client().transport is transport
    sentry_sdk.capture_message("kept")
    assert len(transport.envelopes) == 1
    assert len(sentry_events) == 0  # not captured: the suite checks its transport itself
"""


def test_passthrough_per_test_and_module(pytester: pytest.Pytester) -> None:
    """@pytest.mark.sentry_check(passthrough=True), on a test or a module: clients made in the
    test keep their transport (an explicit one, or the SDK's HTTP transport for a DSN); the
    other tests are captured as usual."""
    pytester.makepyfile(recording=RECORDING_TRANSPORT)
    pytester.makepyfile(
        test_module="import pytest\npytestmark = pytest.mark.sentry_check(passthrough=True)\n"
        + PASSTHROUGH_SUITE
        + """
def test_sdk_transport():
    sentry_sdk.init(dsn="https://key@o1.ingest.sentry.invalid/2")
    assert type(sentry_sdk.get_client().transport).__name__ == "HttpTransport"
    sentry_sdk.get_client().close()
""",
        test_per_test="""
        import pytest, sentry_sdk
        from recording import RecordingTransport

        @pytest.mark.sentry_check(passthrough=True)
        def test_kept():
            transport = RecordingTransport()
            sentry_sdk.init(transport=transport)
            assert sentry_sdk.get_client().transport is transport

        def test_captured(sentry_events):
            sentry_sdk.init(transport=RecordingTransport())
            assert type(sentry_sdk.get_client().transport).__name__ == "CaptureTransport"
            sentry_sdk.capture_message("captured")
            assert sentry_events.one().message == "captured"
        """,
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


def test_passthrough_for_the_suite_from_the_ini(pytester: pytest.Pytester) -> None:
    """ini sentry_passthrough = true: every test keeps its transports; a marker turns the
    capture back on for one test."""
    pytester.makeini("[pytest]\nsentry_passthrough = true\n")
    pytester.makepyfile(recording=RECORDING_TRANSPORT)
    pytester.makepyfile(
        test_suite=PASSTHROUGH_SUITE
        + """
import pytest

@pytest.mark.sentry_check(passthrough=False)
def test_captured_again(sentry_events):
    sentry_sdk.init(transport=RecordingTransport())
    sentry_sdk.capture_message("captured")
    assert sentry_events.one().message == "captured"
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_bad_passthrough_value_is_a_type_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.sentry_check(passthrough="yes")
        def test_bad():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.stdout.fnmatch_lines(
        ["E   TypeError: sentry_check(passthrough=...) takes True or False, not 'yes'"]
    )
