"""The worker's HTTP surface: ``/metrics``, ``/healthz`` and the live page.

The series are built at scrape time by the families' collectors
(:mod:`cxpulse.collectors`); nothing is pre-registered per label set. A scrape
runs on the event loop's thread (the HTTP server is aiohttp inside the worker's
loop). The windows' merges, the one costly
part, are prepared first in small steps with the loop running between them
(:mod:`cxpulse.core.rollup`); the instant gauges are kept incrementally
(:mod:`cxpulse.core.ticket_gauges`). So no scrape holds the loop for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from cxpulse.security import MetricsSecurity

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def build_registry(collectors: Iterable[Collector]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


LIVE_PAGE = {"/": ("index.html", "text/html"), "/live/app.js": ("app.js", "text/javascript"),
             "/live/style.css": ("style.css", "text/css")}
"""The built-in live page (cxpulse/livepage/): it reads ``/metrics`` in the browser."""


def _live_page_routes() -> list[web.RouteDef]:
    files = resources.files("cxpulse") / "livepage"
    routes = []
    for path, (name, content_type) in LIVE_PAGE.items():
        body = (files / name).read_bytes()

        async def serve(_: web.Request, body: bytes = body, content_type: str = content_type,
                        ) -> web.Response:
            return web.Response(body=body, content_type=content_type, charset="utf-8")

        routes.append(web.get(path, serve))
    return routes


Prepare = Callable[[], Iterator[None]]
"""Work a scrape does in steps before its collectors run (:mod:`cxpulse.core.rollup`)."""

STEPS_PER_YIELD = 4


async def start_metrics_server(registry: CollectorRegistry, host: str, port: int,
                               security: MetricsSecurity | None = None,
                               prepare: Prepare | None = None) -> web.AppRunner:
    """Serve ``/metrics`` and the live page (over TLS, behind basic auth, if configured).

    Before collecting, a scrape runs ``prepare`` (the windows' merges) in steps with
    the event loop running between them, so no scrape holds the loop for long."""
    security = security or MetricsSecurity()

    @web.middleware
    async def basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        # /healthz tells nothing but "the loop runs": probes need no credentials.
        if request.path != "/healthz" and not security.authorized(
                request.headers.get("Authorization")):
            return web.Response(status=401, text="authentication required\n",
                                headers={"WWW-Authenticate": 'Basic realm="cxpulse"'})
        response: web.StreamResponse = await handler(request)
        return response

    async def metrics(_: web.Request) -> web.Response:
        if prepare is not None:
            for n, _step in enumerate(prepare()):
                if n % STEPS_PER_YIELD == 0:
                    await asyncio.sleep(0)
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})

    async def healthz(_: web.Request) -> web.Response:
        # For liveness/readiness probes: answers while the event loop runs, walks no state.
        return web.Response(text="ok\n")

    app = web.Application(middlewares=[basic_auth])
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_routes(_live_page_routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port, ssl_context=security.ssl_context()).start()
    return runner
