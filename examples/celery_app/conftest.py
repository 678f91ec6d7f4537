# Makes the `jobs` package importable when pytest runs from this folder; loads Celery's pytest
# fixtures (`celery_app`, `celery_worker`), which Celery does not register by itself.
pytest_plugins = ("celery.contrib.pytest",)
