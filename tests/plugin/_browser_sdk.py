"""The browser SDK for tests/plugin/test_sentry_page.py, from the npm registry's packages.

@sentry/browser's npm package ships modules, not a script a static page can load (its CDN
bundles are not in the package), so it is bundled here with esbuild (a registry package too):
``export * from "@sentry/browser"`` as one script that sets ``window.Sentry``, errors, tracing,
Session Replay and user feedback included. Built once into a cache folder (kept across runs;
``SENTRY_CHECK_BROWSER_SDK`` names another file to use). No CDN: npm only.

``python tests/plugin/_browser_sdk.py`` builds it and prints its path (``.ci/run`` does that
first); the test's fixture builds it itself when it is missing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SENTRY_BROWSER = "11.17.0"
ESBUILD = "0.28.2"
CACHE = Path(tempfile.gettempdir()) / "pytest-sentry-check-browser-sdk" / f"sentry-browser-{SENTRY_BROWSER}"
BUNDLE = CACHE / "sentry-browser.js"


class Unavailable(Exception):
    """The bundle could not be made (no npm, no registry): the message says why."""


def _run(command: list[str], cwd: Path) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True, timeout=300)
    except subprocess.CalledProcessError as exc:
        raise Unavailable(f"{' '.join(command[:3])} failed: {(exc.stderr or exc.stdout)[-500:]}") from None
    except subprocess.TimeoutExpired:
        raise Unavailable(f"{' '.join(command[:3])} took over 300 s") from None


def bundle() -> Path:
    """The bundled browser SDK (built on first use), or :class:`Unavailable`."""
    named = os.environ.get("SENTRY_CHECK_BROWSER_SDK")
    if named:
        if not Path(named).is_file():
            raise Unavailable(f"SENTRY_CHECK_BROWSER_SDK={named} is no file")
        return Path(named)
    if BUNDLE.is_file():
        return BUNDLE
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed: the browser SDK is bundled from the npm registry's packages")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:  # xdist workers build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if BUNDLE.is_file():
            return BUNDLE
        work = Path(tempfile.mkdtemp(dir=CACHE))
        try:
            (work / "package.json").write_text('{"private": true}\n')
            (work / "entry.js").write_text('export * from "@sentry/browser";\n')
            _run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    f"@sentry/browser@{SENTRY_BROWSER}",
                    f"esbuild@{ESBUILD}",
                ],
                work,
            )
            out = work / "sentry-browser.js"
            esbuild = work / "node_modules" / ".bin" / "esbuild"
            _run(
                [
                    str(esbuild),
                    "entry.js",
                    "--bundle",
                    "--format=iife",
                    "--global-name=Sentry",
                    f"--outfile={out}",
                ],
                work,
            )
            os.replace(out, BUNDLE)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return BUNDLE


if __name__ == "__main__":
    try:
        print(bundle())
    except Unavailable as exc:
        sys.exit(f"browser SDK: {exc}")
