"""A module fixture's value computed once per run, not once per xdist worker.

Under ``-n 2`` both workers run tests of a corpus module, and each would generate the corpus
(the planted one costs about 5 s of CPU). The first worker to ask generates it and pickles it
next to the workers' temporary folders (the folder of this run); the other one waits for it and
reads it back. Without xdist the value is simply made.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")


def once_per_run(name: str, tmp_path_factory: pytest.TempPathFactory, make: Callable[[], T]) -> T:
    """``make()``, computed by the first worker of this run to ask and shared with the others."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make()
    path = tmp_path_factory.getbasetemp().parent / f"{name}.pickle"
    with FileLock(f"{path}.lock"):
        if path.is_file():
            value: T = pickle.loads(path.read_bytes())  # written by this run's worker
            return value
        value = make()
        path.write_bytes(pickle.dumps(value))
        return value
