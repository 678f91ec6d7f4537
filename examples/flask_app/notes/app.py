"""A Flask service: sentry_sdk.init in the app factory."""

import sentry_sdk
from flask import Flask


def create_app() -> Flask:
    sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/1", release="notes@1.0", traces_sample_rate=0.2)
    app = Flask(__name__)

    @app.get("/notes/<note_id>")
    def read_note(note_id: str) -> dict[str, str]:
        if note_id == "missing":
            raise LookupError(f"no note {note_id}")
        return {"id": note_id}

    return app
