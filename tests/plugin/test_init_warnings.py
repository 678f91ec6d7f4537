"""What sentry-sdk warns about in the application's init points at the application's line."""

from __future__ import annotations

import warnings

import pytest
import sentry_sdk


def _sdk_deprecates_send_default_pii() -> bool:
    """sentry-sdk 2.75 deprecates send_default_pii (for data_collection); older ones do not."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sentry_sdk.client.get_options(send_default_pii=False)
    return any(issubclass(w.category, DeprecationWarning) for w in caught)


@pytest.mark.parametrize("options", ["", "@pytest.mark.sentry_check(options={'traces_sample_rate': 1.0})"])
def test_a_deprecated_option_is_reported_at_the_apps_init_call(
    pytester: pytest.Pytester, options: str
) -> None:
    if not _sdk_deprecates_send_default_pii():
        pytest.skip("this sentry-sdk does not deprecate send_default_pii")
    pytester.makepyfile(
        app="""
        import sentry_sdk

        def start():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2", send_default_pii=False)
        """
    )
    pytester.makepyfile(
        f"""
        import pytest
        import app

        {options}
        def test_start():
            app.start()
        """
    )
    result = pytester.runpytest("-W", "always::DeprecationWarning", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*/app.py:4: DeprecationWarning: The send_default_pii option is deprecated*"]
    )
    assert "_capture" not in result.stdout.str()
    assert "sentry_sdk/client.py" not in result.stdout.str()


def test_a_deprecated_option_only_the_overrides_set_says_so(pytester: pytest.Pytester) -> None:
    """The app's init does not set send_default_pii, the marker does: the warning still names the
    app's line (where init ran) but says the option came from the overrides."""
    if not _sdk_deprecates_send_default_pii():
        pytest.skip("this sentry-sdk does not deprecate send_default_pii")
    pytester.makepyfile(
        app="""
        import sentry_sdk

        def start():
            sentry_sdk.init(dsn="https://k@o1.ingest.sentry.io/2")
        """
    )
    pytester.makepyfile(
        """
        import pytest
        import app

        @pytest.mark.sentry_check(options={"send_default_pii": False})
        def test_start():
            app.start()
        """
    )
    result = pytester.runpytest("-W", "always::DeprecationWarning", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*/app.py:4: DeprecationWarning: from the option overrides (marker, ini sentry_options): "
            "The send_default_pii option is deprecated*"
        ]
    )
    assert "app.py:4: DeprecationWarning: The send_default_pii" not in result.stdout.str()
