"""Fixtures of the pytester runs: ``gated``, a pytester directory holding the gate tests' service."""

from __future__ import annotations

import pytest
from _gate_suites import GATE_APP


@pytest.fixture
def gated(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(gate_app=GATE_APP)
    pytester.makeini("[pytest]\nfilterwarnings = ignore::DeprecationWarning\n")
    return pytester
