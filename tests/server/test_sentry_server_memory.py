"""The session's ingest server keeps no test's capture once the test ended."""

from __future__ import annotations

import pytest


def test_no_capture_is_retained_after_its_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import gc, weakref
        import httpx
        import pytest

        ENVELOPE = b'{}\\n{"type":"event"}\\n{"message":"%s","level":"info","extra":{"blob":"%s"}}\\n'
        captures = []

        @pytest.mark.parametrize("n", range(5))
        def test_sends(n, sentry_server, sentry_events):
            auth = {"X-Sentry-Auth": f"Sentry sentry_key={sentry_server.public_key}, sentry_version=7"}
            url = f"http://{sentry_server.host}:{sentry_server.port}/api/1/envelope/"
            body = ENVELOPE % (str(n).encode(), b"x" * 500_000)
            assert httpx.post(url, content=body, headers=auth).status_code == 200
            assert [e.message for e in sentry_events] == [str(n)]
            captures.append(weakref.ref(sentry_events._capture_ref))

        def test_none_is_alive():
            gc.collect()
            # the router holds the capture closed last, for what arrives between two tests
            assert [ref for ref in captures[:-1] if ref() is not None] == []
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--sentry-gate=off")
    result.assert_outcomes(passed=6)
