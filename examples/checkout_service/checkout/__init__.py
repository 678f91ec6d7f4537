"""A small checkout service: FastAPI, with its own Sentry module (``checkout.observability``)."""
