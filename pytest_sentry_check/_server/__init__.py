"""The local Sentry ingest server: the ingestion protocol and the FastAPI app on loopback."""
