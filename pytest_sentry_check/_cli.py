"""``pytest-sentry-check serve``, ``scan`` and ``merge``: the ingest server and the leak scanner
outside pytest (docker-compose stacks, end-to-end suites), and the gate of a sharded run."""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from pytest_sentry_check._capture.store import ReceivedEnvelope
from pytest_sentry_check._gate.envelopes import scan_envelopes
from pytest_sentry_check._gate.fixes import fix_hints
from pytest_sentry_check._gate.ledger import GateLedger
from pytest_sentry_check._gate.report import GateReport, group_findings
from pytest_sentry_check._gate.reports import json_report, sarif_report, write_json
from pytest_sentry_check._gate.terminal import below_threshold_lines
from pytest_sentry_check._gate.terminal import found as found_words
from pytest_sentry_check._scan.finding import SEVERITIES
from pytest_sentry_check._scan.groups import counted, group_lines
from pytest_sentry_check._server.app import DEFAULT_READ_TIMEOUT, read_timeout_from_setting
from pytest_sentry_check._server.ingest import IngestError, Limits, parse_body

__all__ = ["main"]

ENVELOPE_SUFFIX = ".envelope"
#: the test name of what ``scan`` reads: stored envelopes belong to no test
STORED = "<stored envelopes>"
#: how many leak groups ``scan`` lists per envelope file and status (then how many more)
SHOWN_GROUPS = 10


class EnvelopeStore:
    """Writes each envelope to ``folder`` as one file in Sentry's envelope format, atomically."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        existing = len(list(folder.glob(f"*{ENVELOPE_SUFFIX}")))
        self._numbers = itertools.count(existing + 1)
        self._lock = threading.Lock()

    def __call__(self, raw: bytes, key: str = "") -> None:
        with self._lock:
            name = f"{next(self._numbers):06d}-{uuid.uuid4().hex[:8]}{ENVELOPE_SUFFIX}"
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(raw)
        os.replace(partial, self.folder / name)


#: what raises each limit, for the line a refused request prints
_RAISED_BY = {
    "body": "--limit body=SIZE",
    "decompressed": "--limit decompressed=SIZE",
    "items": "--limit items=N",
    "json_values": "--limit json_values=N",
    "read_timeout": "--read-timeout SECONDS",
}


def _refused(error: IngestError) -> None:
    """One line per refused request: what was wrong, and the option that raises the limit."""
    hint = f" (raise it with {_RAISED_BY[error.limit]})" if error.limit in _RAISED_BY else ""
    print(f"refused a request: {error.status} {error.message}{hint}", flush=True)


def serve(args: argparse.Namespace) -> int:
    from pytest_sentry_check._server.app import DEFAULT_PUBLIC_KEY, SentryServer

    store = EnvelopeStore(Path(args.store))
    limits, read_timeout = Limits.from_settings(args.limit), args.read_timeout
    server = SentryServer(
        store,
        host=args.host,
        port=args.port,
        public_key=args.key or DEFAULT_PUBLIC_KEY,
        project_id=args.project,
        limits=limits,
        read_timeout=read_timeout,
        on_refused=_refused,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    print(f"pytest-sentry-check: ingest server on {args.host}:{server.port}", flush=True)
    print(f"DSN: {server.dsn}", flush=True)
    print(f"storing envelopes in {store.folder}", flush=True)
    print(f"limits: {limits.settings()}; read timeout {read_timeout:g} s", flush=True)
    stop.wait()
    server.stop()
    print(f"stopped: {server.accepted} envelopes stored, {server.rejected} requests refused", flush=True)
    return 0


def _envelope_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.glob(f"*{ENVELOPE_SUFFIX}") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise SystemExit(f"pytest-sentry-check scan: no such file or directory: {name}")
    return files


def _read_envelope(path: Path) -> ReceivedEnvelope | str:
    """The stored envelope, or why it is not one (a scan must not pass what it cannot read)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    try:
        parse_body(raw, "application/x-sentry-envelope", "envelope")
    except IngestError as exc:
        return exc.message
    return ReceivedEnvelope(raw, path.stat().st_mtime, "")


def scan(args: argparse.Namespace) -> int:
    """Scan stored envelopes: exit 1 on findings at or above ``--fail-on`` that are not allowed,
    2 when an input is not an envelope (or there is none), 0 otherwise (findings below the
    threshold are warnings)."""
    ledger = GateLedger(mode="fail", fail_on=args.fail_on)
    ledger.declared.update(("command line", entry) for entry in args.allow)
    allow = [("command line", entry) for entry in args.allow]
    files = _envelope_files(args.paths)
    unreadable = 0
    for path in files:
        received = _read_envelope(path)
        if isinstance(received, str):
            print(f"{path}: not scanned: {received}")
            unreadable += 1
            continue
        found = scan_envelopes([received], args.secret)
        ledger.envelopes_scanned += 1
        ledger.tests_run.add(STORED)
        # one "test" for every file: a group's fingerprint never holds an envelope's file name
        findings = ledger.classify(STORED, (_relative(path), 0), found, allow=allow, phase="stored")
        blocking = group_findings(f for f in findings if f.blocking)
        if blocking:
            print(f"{path}: {counted(blocking)}")
            for line in group_lines(blocking, SHOWN_GROUPS):
                print(line)
        warned = group_findings(f for f in findings if f.status == "warned")
        if warned:
            print(f"{path}: {counted(warned, 'warning')} (below the fail-on threshold, {args.fail_on})")
            for line in group_lines(warned, SHOWN_GROUPS):
                print(line)
    report = GateReport.from_ledger(ledger)
    scanned = len(files) - unreadable
    not_read = f"; {unreadable} not {'an envelope' if unreadable == 1 else 'envelopes'}" if unreadable else ""
    print(
        f"pytest-sentry-check scan: {scanned} envelope{'s' if scanned != 1 else ''} scanned: "
        f"{found_words(report, in_tests=False)}{not_read}"
    )
    if not files:
        print(f"no *{ENVELOPE_SUFFIX} file in {', '.join(args.paths)}: nothing was scanned")
    for line in below_threshold_lines(report, option="--fail-on"):
        print(line)
    for hint in fix_hints(f.finding for f in ledger.findings if f.status in ("failed", "warned")):
        print(hint)
    for origin, entry in ledger.unused_allow():
        print(f"unused allow entry {entry!r} ({origin}): it matched nothing")
    if args.report:
        write_json(args.report, json_report(report))
    if args.sarif:
        write_json(args.sarif, sarif_report(report, Path.cwd()))
    if ledger.blocking:
        return 1
    return 2 if unreadable or not files else 0


def _relative(path: Path) -> str:
    """``path`` relative to the working directory (SARIF's ``%SRCROOT%``), else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _severity(text: str) -> str:
    if text not in SEVERITIES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a severity: use {', '.join(SEVERITIES)}")
    return text


def _limit_setting(text: str) -> str:
    """``--limit NAME=VALUE``, checked while the arguments are parsed (a usage error, exit 2)."""
    try:
        Limits.from_settings([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _read_timeout(text: str) -> float:
    try:
        return read_timeout_from_setting(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _read_report(name: str) -> GateReport | str:
    """The shard's report, or why it is not one (a merge must not pass what it cannot read)."""
    import json

    from pytest_sentry_check._gate.reports import REPORT_VERSION

    try:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except ValueError as exc:
        return f"not JSON ({exc})"
    if not isinstance(data, dict) or data.get("schema") != "pytest-sentry-check/report":
        return "not a pytest-sentry-check JSON report (pytest writes one with --sentry-report=PATH)"
    if data.get("version") != REPORT_VERSION:
        return (
            f"a version {data.get('version')!r} report; this merge reads version {REPORT_VERSION} "
            "(run the shards and the merge with the same pytest-sentry-check)"
        )
    try:
        return GateReport.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"not a pytest-sentry-check JSON report ({type(exc).__name__}: {exc})"


def merge(args: argparse.Namespace) -> int:
    """Merge the JSON reports of a sharded run: 1 when the merged gate fails and ``--gate`` is
    given, 2 when a report cannot be read or the shards cannot be merged, 0 otherwise."""
    from pytest_sentry_check._gate.baseline import Baseline, BaselineError
    from pytest_sentry_check._gate.merge import MergeError, merge_reports
    from pytest_sentry_check._gate.page import report_page, write_page
    from pytest_sentry_check._gate.terminal import final_words, summary_lines

    prog = "pytest-sentry-check merge"
    reports, bad = [], 0
    for name in args.reports:
        read = _read_report(name)
        if isinstance(read, str):
            print(f"{prog}: {name}: {read}", file=sys.stderr)
            bad += 1
        else:
            reports.append(read)
    try:
        baseline = Baseline.load(args.baseline) if args.baseline else None
    except BaselineError as exc:
        print(f"{prog}: --baseline: {exc}", file=sys.stderr)
        return 2
    if bad:
        print(f"{prog}: {bad} of {len(args.reports)} reports not read: nothing was merged", file=sys.stderr)
        return 2
    try:
        report = merge_reports(reports, baseline=baseline, fail_on=args.fail_on)
    except MergeError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    merged = f"{len(reports)} report{'s' if len(reports) != 1 else ''}"
    print(f"{prog}: {merged}, leak gate ({report.mode})")
    for line in summary_lines(report):
        print(line)
    if args.json:
        write_json(args.json, json_report(report))
        print(f"JSON report written to {args.json}")
    if args.sarif:
        write_json(args.sarif, sarif_report(report, Path.cwd()))
        print(f"SARIF written to {args.sarif}")
    if args.html:
        print(write_page(args.html, report_page(report, f"sentry-check: {Path.cwd().name}")))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from pytest_sentry_check._gate.ci import github_annotations

        for line in github_annotations(report):
            print(line)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")  # as the plugin: whenever it is set
    if summary:
        from pytest_sentry_check._gate.ci import step_summary

        with open(summary, "a", encoding="utf-8") as file:
            file.write(step_summary(report))
    tests = report.counts()["tests_scanned"]
    head = f"{prog}: {merged}, {tests} test{'s' if tests != 1 else ''}"
    blocking = len(report.blocking)
    if blocking and not args.gate:
        noun = "leak group" if blocking == 1 else "leak groups"
        print(f"{head}, {blocking} {noun} would fail the gate (not applied: --gate applies it)")
        return 0
    words = {"warned": "gate passed with warnings", "passed": "gate passed", "off": "gate off"}
    print(f"{head}, {final_words(report) or words[report.verdict]}")
    return 1 if report.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pytest-sentry-check",
        description="A local Sentry ingest server, the leak scanner over what it stored, and the merge "
        "of a sharded run's gate reports.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="run the ingest server; store every envelope in a folder")
    serving.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serving.add_argument("--port", type=int, default=0, help="port (default: a free one, printed)")
    serving.add_argument("--store", required=True, metavar="DIR", help="folder for the received envelopes")
    serving.add_argument("--key", default=None, help="the DSN's public key (default: a fixed test key)")
    serving.add_argument("--project", default="1", help="the DSN's project id (default 1)")
    serving.add_argument(
        "--limit",
        action="append",
        default=[],
        type=_limit_setting,
        metavar="NAME=VALUE",
        help="raise or lower a limit of one request (repeatable): body and decompressed are sizes "
        "in bytes or with KiB, MiB or GiB (64MiB), items and json_values whole numbers "
        f"(defaults: {Limits().settings()})",
    )
    serving.add_argument(
        "--read-timeout",
        type=_read_timeout,
        default=DEFAULT_READ_TIMEOUT,
        metavar="SECONDS",
        help="how long a client may take to send a request's headers, then its body "
        f"(default {DEFAULT_READ_TIMEOUT:g}); a stalled body is answered 408",
    )
    scanning = commands.add_parser("scan", help="scan stored envelopes for secrets and personal data")
    scanning.add_argument("paths", nargs="+", metavar="PATH", help="envelope files or folders of them")
    scanning.add_argument("--allow", action="append", default=[], help="a rule id or path glob to allow")
    scanning.add_argument("--secret", action="append", default=[], help="a canary value to look for")
    scanning.add_argument("--report", metavar="PATH", help="write the JSON report")
    scanning.add_argument("--sarif", metavar="PATH", help="write SARIF 2.1.0")
    scanning.add_argument(
        "--fail-on",
        type=_severity,
        default="high",
        metavar="{" + ",".join(SEVERITIES) + "}",
        help="the lowest severity that fails (default high, like pytest's --sentry-fail-on); "
        "findings below it are warnings and do not change the exit status",
    )
    merging = commands.add_parser(
        "merge",
        help="merge the JSON reports of a sharded run (--sentry-report of each shard) into one verdict",
    )
    merging.add_argument("reports", nargs="+", metavar="REPORT", help="each shard's --sentry-report file")
    merging.add_argument(
        "--gate", action="store_true", help="exit with status 1 when the merged leak groups fail the gate"
    )
    merging.add_argument("--json", metavar="PATH", help="write the merged JSON report")
    merging.add_argument("--sarif", metavar="PATH", help="write SARIF 2.1.0 (paths relative to this folder)")
    merging.add_argument("--html", metavar="PATH", help="write the HTML report (the findings, no payloads)")
    merging.add_argument(
        "--baseline",
        metavar="FILE",
        help="judge every group by this baseline file instead of the shards' (applied once, to the merge)",
    )
    merging.add_argument(
        "--fail-on",
        type=_severity,
        default=None,
        metavar="{" + ",".join(SEVERITIES) + "}",
        help="hold the groups to this threshold instead of the shards' (a marker's own threshold stays)",
    )
    args = parser.parse_args(argv)
    return {"serve": serve, "scan": scan, "merge": merge}[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
