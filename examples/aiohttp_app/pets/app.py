"""An aiohttp service: sentry_sdk.init in the app factory."""

import sentry_sdk
from aiohttp import web


async def read_pet(request: web.Request) -> web.Response:
    pet_id = request.match_info["pet_id"]
    if pet_id == "missing":
        raise LookupError(f"no pet {pet_id}")
    return web.json_response({"id": pet_id})


def create_app() -> web.Application:
    sentry_sdk.init(dsn="https://key@o1.ingest.sentry.io/1", release="pets@1.0", traces_sample_rate=0.2)
    app = web.Application()
    app.router.add_get("/pets/{pet_id}", read_pet)
    return app
