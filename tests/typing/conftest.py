"""The typing test's inputs are for mypy only: ``api_usage.py`` holds user-style ``test_*``
functions that would fail if they ran, so pytest never collects these files from a directory
(and skips them when one is named on its command line: see their ``pytestmark``)."""

collect_ignore = ["api_usage.py", "api_misuse.py"]
