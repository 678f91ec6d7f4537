"""Django settings: sentry_sdk.init here, as Django projects usually do."""

import sentry_sdk

sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/1", release="site@1.0", traces_sample_rate=0.2)

SECRET_KEY = "recipe-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "site_app.urls"
INSTALLED_APPS: list[str] = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
STATIC_URL = "static/"
