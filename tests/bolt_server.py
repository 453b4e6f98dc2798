"""A Bolt app served over real HTTP on loopback, for tests that drive it as Slack would."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp


@contextlib.asynccontextmanager
async def serving_bolt(
    app: AsyncApp, seen: Callable[[web.Request], None] | None = None
) -> AsyncIterator[str]:
    """Serve `app` at a loopback `/slack/events` URL (yielded); `seen` sees each request
    before Bolt does."""

    async def events(request: web.Request) -> web.Response:
        if seen is not None:
            seen(request)
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
    finally:
        await runner.cleanup()
