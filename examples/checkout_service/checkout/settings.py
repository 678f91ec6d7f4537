"""Settings from the environment, with production defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    sentry_dsn: str
    environment: str
    version: str
    traces_sample_rate: float
    profiles_sample_rate: float


def load_settings() -> Settings:
    return Settings(
        sentry_dsn=os.environ.get(
            "SENTRY_DSN", "https://8c4f1e2a9b3d4e5f@o4507123.ingest.de.sentry.io/4507456789"
        ),
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        version=os.environ.get("APP_VERSION", "2.3.1"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0.1")),
        profiles_sample_rate=float(os.environ.get("SENTRY_PROFILES_SAMPLE_RATE", "0.0")),
    )
