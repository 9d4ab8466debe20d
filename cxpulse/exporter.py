"""Prometheus exposition: metric families built at scrape time from the workers' state.

Nothing is pre-registered per label set; a collector reads the ingest counters and
the ticket index when Prometheus scrapes, on the event loop's thread (the HTTP
server is aiohttp inside the worker's loop). The windows' merges, the one costly
part, are prepared first in small steps with the loop running between them
(:mod:`cxpulse.core.rollup`); the instant gauges are kept incrementally
(:mod:`cxpulse.core.ticket_gauges`). So no scrape holds the loop for long.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Sequence
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.dimensions import CHANNELS
from cxpulse.core.facts import Labels, Totals
from cxpulse.core.sketch import Sketch
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.tickets import (
    ALL_LABELS,
    N_FCR,
    N_FR_BREACHED,
    N_FR_MET,
    N_OPENED,
    N_REOPENED,
    N_RES_BREACHED,
    N_RES_MET,
    N_RESOLVED,
    SLAS,
    BucketTotals,
    TicketIndex,
)
from cxpulse.security import MetricsSecurity

QUANTILES = (0.5, 0.9, 0.99)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class IngestCollector(Collector):
    """cx_events_* counters and cx_watermark_seconds, for every topic."""

    def __init__(self, stats: IngestStats, admissions: Sequence[Admission]) -> None:
        self.stats = stats
        self.admissions = admissions

    def collect(self) -> Iterable[Metric]:
        s = self.stats
        accepted = CounterMetricFamily("cx_events", "Valid events seen for the first time "
                                       "(late ones included)", labels=["topic", "event_type"])
        for (topic, event_type), n in sorted(s.accepted.items()):
            accepted.add_metric([topic, event_type], n)
        rejected = CounterMetricFamily("cx_events_rejected", "Bad events, sent to the "
                                       "dead-letter topic", labels=["topic", "reason"])
        for (topic, reason), n in sorted(s.rejected.items()):
            rejected.add_metric([topic, reason], n)
        duplicate = CounterMetricFamily("cx_events_duplicate", "Events whose id was already "
                                        "seen within the dedupe horizon", labels=["topic"])
        late = CounterMetricFamily("cx_events_late", "Events older than the oldest bucket "
                                   "still kept (now - 24h - 1m); not aggregated", labels=["topic"])
        watermark = GaugeMetricFamily("cx_watermark_seconds", "The topic's event-time "
                                      "watermark, as Unix seconds", labels=["topic"])
        for admission in self.admissions:
            topic = admission.topic
            duplicate.add_metric([topic], s.duplicate[topic])
            late.add_metric([topic], s.late[topic])
            mark = admission.watermark.value()
            if mark is not None:
                watermark.add_metric([topic], mark)
        yield from (accepted, rejected, duplicate, late, watermark)


def add_ratio(family: GaugeMetricFamily, labels: list[str], num: float, den: float) -> None:
    if den > 0:
        family.add_metric(labels, num / den)


def summary_family(name: str, doc: str,
                   rows: Iterable[tuple[dict[str, str], Sketch, Sketch | None]]) -> Metric:
    """Rows of (labels, this worker's samples, the team's samples or None).

    ``_sum`` and ``_count`` are this worker's (they add up over workers); the quantile
    series come from the team's samples, on the one worker that owns them.
    """
    family = Metric(name, doc, "summary")
    for labels, sketch, team in rows:
        if team is not None and team.count:
            for q, value in zip(QUANTILES, team.quantiles(QUANTILES), strict=True):
                family.add_sample(name, {**labels, "quantile": str(q)}, value)
        family.add_sample(name + "_sum", labels, sketch.total)
        family.add_sample(name + "_count", labels, sketch.count)
    return family


def team_sketches(team: TeamQuantiles | None, family: str,
                  now: float) -> dict[str, dict[Labels, Totals]] | None:
    """The team's windows of ``family``, or None on a worker that does not own them."""
    return team.windows(family, now) if team is not None and team.owned() else None


def team_sketch(windows: dict[str, dict[Labels, Totals]] | None, window: str,
                labels: Labels, index: int) -> Sketch | None:
    if windows is None:
        return None
    totals = windows[window].get(labels)
    return totals.sketches[index] if totals is not None else Sketch()


class TicketCollector(Collector):
    """Every ticket metric of SPEC §2, at the index's "now"."""

    def __init__(self, index: TicketIndex, team: TeamQuantiles | None = None) -> None:
        self.index = index
        self.team = team

    def collect(self) -> Iterator[Metric]:
        snap = self.index.snapshot()
        if snap is None:
            return
        empty = BucketTotals()

        def rows() -> Iterator[tuple[str, str, str, BucketTotals]]:
            for window, totals in snap.windows.items():
                for channel, priority in ALL_LABELS:
                    yield window, channel, priority, totals.get((channel, priority), empty)

        opened = GaugeMetricFamily("cx_tickets_opened", "Tickets opened in the window",
                                   labels=["window", "channel", "priority"])
        resolved = GaugeMetricFamily("cx_tickets_resolved", "Resolutions in the window",
                                     labels=["window", "channel", "priority"])
        attainment = GaugeMetricFamily(
            "cx_sla_attainment_ratio", "Targets met / (met + breached) in the window",
            labels=["window", "sla", "channel", "priority"])
        sla_labels = ["window", "sla", "channel", "priority"]
        met_family = GaugeMetricFamily("cx_sla_met", "SLA targets met in the window",
                                       labels=sla_labels)
        breached_family = GaugeMetricFamily(
            "cx_sla_breached", "SLA targets breached in the window (at their deadline)",
            labels=sla_labels)
        for window, channel, priority, t in rows():
            labels = [window, channel, priority]
            opened.add_metric(labels, t.counts[N_OPENED])
            resolved.add_metric(labels, t.counts[N_RESOLVED])
            for sla, met, breached in (("first_response", N_FR_MET, N_FR_BREACHED),
                                       ("resolution", N_RES_MET, N_RES_BREACHED)):
                sla_key = [window, sla, channel, priority]
                met_family.add_metric(sla_key, t.counts[met])
                breached_family.add_metric(sla_key, t.counts[breached])
                add_ratio(attainment, sla_key, t.counts[met],
                          t.counts[met] + t.counts[breached])
        yield from (opened, resolved, attainment, met_family, breached_family)

        team = team_sketches(self.team, "tickets", snap.now)
        yield summary_family("cx_first_response_seconds", "First counted response - opened",
                             [({"window": w, "channel": c, "priority": p}, t.first_response,
                               team_sketch(team, w, (c, p), 0)) for w, c, p, t in rows()])
        yield summary_family("cx_resolution_seconds", "Resolved - opened (original open)",
                             [({"window": w, "channel": c, "priority": p}, t.resolution,
                               team_sketch(team, w, (c, p), 1)) for w, c, p, t in rows()])

        fcr = GaugeMetricFamily("cx_first_contact_resolution_ratio", "Resolutions with exactly "
                                "one public agent response and no earlier reopen / resolutions",
                                labels=["window", "channel"])
        reopen = GaugeMetricFamily("cx_reopen_ratio", "Reopens / resolutions in the window",
                                   labels=["window", "channel"])
        fcr_count = GaugeMetricFamily("cx_first_contact_resolutions", "Resolutions with "
                                      "exactly one public agent response and no earlier reopen",
                                      labels=["window", "channel"])
        reopened = GaugeMetricFamily("cx_tickets_reopened", "Reopens in the window",
                                     labels=["window", "channel"])
        for window, totals in snap.windows.items():
            for channel in CHANNELS:
                per_channel = [t for (c, _), t in totals.items() if c == channel]
                resolutions = sum(t.counts[N_RESOLVED] for t in per_channel)
                first_contact = sum(t.counts[N_FCR] for t in per_channel)
                reopens = sum(t.counts[N_REOPENED] for t in per_channel)
                fcr_count.add_metric([window, channel], first_contact)
                reopened.add_metric([window, channel], reopens)
                add_ratio(fcr, [window, channel], first_contact, resolutions)
                add_ratio(reopen, [window, channel], reopens, resolutions)
        yield from (fcr, reopen, fcr_count, reopened)

        gauges = snap.gauges
        backlog = GaugeMetricFamily("cx_tickets_open", "Backlog now: opened and not resolved",
                                    labels=["channel", "priority"])
        oldest = GaugeMetricFamily("cx_oldest_unanswered_ticket_age_seconds",
                                   "now - opened, for the oldest open ticket without a first "
                                   "response", labels=["channel", "priority"])
        in_breach = GaugeMetricFamily("cx_tickets_in_breach", "Unresolved tickets past that "
                                      "deadline now", labels=["sla", "channel", "priority"])
        breaches = CounterMetricFamily("cx_sla_breaches", "SLA breaches, counted once at "
                                       "their deadline", labels=["sla", "channel", "priority"])
        for channel, priority in ALL_LABELS:
            pair = (channel, priority)
            backlog.add_metric([channel, priority], gauges.open[pair])
            if pair in gauges.oldest_unanswered_age:
                oldest.add_metric([channel, priority], gauges.oldest_unanswered_age[pair])
            for sla in SLAS:
                key = (sla, channel, priority)
                in_breach.add_metric(list(key), gauges.in_breach[key])
                breaches.add_metric(list(key), snap.breaches[key])
        yield from (backlog, oldest, in_breach, breaches)


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
