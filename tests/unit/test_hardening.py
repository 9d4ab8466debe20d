"""Issue 19's pure parts: bounds, content modes, keys, caps, re-reads, breach marks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import to_binary, to_structured
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.collector_guard import CollectorGuard
from cxpulse.config import ConfigError, load_settings
from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.sorted_history import HIST, MARKS, SIZE
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.core.tickets import SlaTargets
from cxpulse.core.watermark import Watermark
from cxpulse.exporter import build_registry
from cxpulse.metrics_text import parse
from cxpulse.schemas.events import Event, Rejection, decode
from cxpulse.streams.app import create_app
from tests.support.scenario import ev

T0 = 1_795_300_000.0


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(("toml", "named"), [
    ('[sla.first_respons]\nurgent = "5m"\n', "unknown setting sla.first_respons"),
    ('[dedupe]\nhorizn = "2h"\n', "unknown setting dedupe.horizn"),
    ("[entities]\nmax_events = 5\n", "bad setting entities.max_events=5"),
    ("[entities]\nmax_bytes = 2000000\n", "bad setting entities.max_bytes=2000000"),
    ('timezone = "UTC"\n', "unknown setting timezone"),
])
def test_an_unknown_or_bad_toml_key_stops_start_up_naming_it(
        tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "cx.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as error:
        load_settings({"CXPULSE_CONFIG": str(path)})
    assert str(error.value).startswith(named)
    assert "\n" not in str(error.value)


def test_replication_factor_and_entity_limits_are_read(tmp_path: Path) -> None:
    path = tmp_path / "cx.toml"
    path.write_text("[entities]\nmax_events = 300\nmax_bytes = 65536\n")
    s = load_settings({"CXPULSE_CONFIG": str(path), "CXPULSE_REPLICATION_FACTOR": "3"})
    assert (s.replication_factor, s.entity_limits) == (3, EntityLimits(300, 65536))
    assert load_settings({}).replication_factor == 1
    with pytest.raises(ConfigError, match="CXPULSE_REPLICATION_FACTOR"):
        load_settings({"CXPULSE_REPLICATION_FACTOR": "0"})


def test_an_instance_id_makes_the_consumer_a_static_member() -> None:
    settings = load_settings({"CXPULSE_INSTANCE_ID": "cxpulse-2"})
    assert settings.instance_id == "cxpulse-2"
    app = create_app(settings)
    assert app.conf.consumer_group_instance_id == "cxpulse-2"
    assert load_settings({}).instance_id is None  # dynamic membership unless set
    assert create_app(load_settings({})).conf.consumer_group_instance_id is None


# ------------------------------------------------------------------ contract


def _event(**data: Any) -> bytes:
    return orjson.dumps(ev("c1", "cost.recorded", T0, **data))


@pytest.mark.parametrize(("data", "reason"), [
    ({"kind": "ads", "source": "paid", "amount": 1e9}, None),
    ({"kind": "ads", "source": "paid", "amount": 1e9 + 1}, "out_of_range:data.amount"),
    ({"kind": "ads", "source": "paid", "amount": 1.0, "clicks": 1e308},
     "out_of_range:data.clicks"),
    ({"kind": "ads", "source": "paid", "amount": 1.7976931348623157e308},
     "out_of_range:data.amount"),
])
def test_money_and_counts_have_upper_bounds(data: dict[str, Any], reason: str | None) -> None:
    result = decode(_event(**data), "cx.costs")
    assert (result.reason if isinstance(result, Rejection) else None) == reason


def _sdk_event() -> CloudEvent:
    return CloudEvent({"type": "ticket.opened", "source": "helpdesk", "id": "e-1",
                       "time": "2026-11-22T10:15:03.120Z", "datacontenttype": "application/json",
                       "partitionkey": "T-1"},
                      {"ticket_id": "T-1", "customer_id": "C", "channel": "email",
                       "priority": "high"})


def test_both_content_modes_of_the_sdk_decode_to_the_same_event() -> None:
    binary, structured = to_binary(_sdk_event()), to_structured(_sdk_event())
    a = decode(binary.value, "cx.tickets", headers=list(binary.headers.items()))
    b = decode(structured.value, "cx.tickets", headers=list(structured.headers.items()))
    assert isinstance(a, Event) and a == b
    assert a.data["ticket_id"] == "T-1" and a.time == 1795342503.12


def test_binary_mode_faults_are_named() -> None:
    binary = to_binary(_sdk_event())
    headers = dict(binary.headers)
    bad_type = {**headers, "content-type": b"application/xml"}
    assert decode(binary.value, headers=bad_type) == Rejection("invalid_field:content-type")
    bad_utf8 = {**headers, "ce_id": b"\xff\xfe"}
    assert decode(binary.value, headers=bad_utf8) == Rejection("invalid_field:id")
    no_id = {k: v for k, v in headers.items() if k != "ce_id"}
    assert decode(binary.value, headers=no_id) == Rejection("missing_field:id")
    assert decode(b"[1]", headers=headers) == Rejection("invalid_field:data")


# ------------------------------------------------------------------ keys, caps, re-reads


def gate(seen: dict[str, Any] | None = None, stats: IngestStats | None = None) -> Admission:
    return Admission("cx.tickets", stats or IngestStats(), {} if seen is None else seen,
                     replay_clock=True, dedupe_horizon=3600.0)


def opened(n: int, tid: str = "T-1") -> bytes:
    return orjson.dumps(ev(f"o{n}", "ticket.opened", T0 + n, ticket_id=tid, customer_id="C",
                           channel="chat", priority="normal"))


def test_a_message_keyed_other_than_its_entity_is_wrong_key() -> None:
    stats = IngestStats()
    g = gate(stats=stats)
    assert isinstance(g.admit(opened(1), 0, key=b"T-1"), Event)
    assert g.admit(opened(2), 0, key=b"T-2") == Rejection("wrong_key")
    assert g.admit(opened(3), 0, key=None) == Rejection("wrong_key")
    assert stats.rejected[("cx.tickets", "wrong_key")] == 2


def test_a_message_read_again_is_neither_new_nor_duplicate_even_after_a_restart() -> None:
    seen: dict[str, Any] = {}
    stats = IngestStats()
    g = gate(seen, stats)
    for n in range(10):
        g.admit(opened(n, f"T{n}"), 2, offset=100 + n)
    g.admit(b"junk", 2, offset=110)
    g.end_batch()  # the batch's offsets record
    assert (sum(stats.accepted.values()), sum(stats.rejected.values())) == (10, 1)
    restarted_stats = IngestStats()
    restarted = gate(dict(seen), restarted_stats)
    restarted.rebuild({2})
    for n in range(5, 10):  # read again from an older committed offset
        assert isinstance(restarted.admit(opened(n, f"T{n}"), 2, offset=100 + n), Event)
    assert restarted.admit(b"junk", 2, offset=110) == Rejection("invalid_json")
    assert restarted_stats == IngestStats()
    assert isinstance(restarted.admit(opened(11, "T11"), 2, offset=111), Event)
    assert restarted_stats.accepted[("cx.tickets", "ticket.opened")] == 1


def family(histories: dict[str, Any], limits: EntityLimits | None = None,
           stats: IngestStats | None = None, live: bool = False) -> TicketFamily:
    admission = Admission("cx.tickets", stats or IngestStats(), {}, replay_clock=not live,
                          dedupe_horizon=3600.0)
    return TicketFamily(admission, histories, SlaTargets(), 7 * 86400.0, limits=limits)


def responded(n: int, tid: str = "T-1", t: float = T0) -> bytes:
    return orjson.dumps(ev(f"r{n}", "ticket.responded", t + n, ticket_id=tid, agent_id="A"))


def test_a_hot_ticket_stops_at_its_cap_and_its_record_stays_small() -> None:
    histories: dict[str, Any] = {}
    stats = IngestStats()
    f = family(histories, EntityLimits(max_events=500), stats)
    f.begin_batch()
    f.handle(opened(0), 0)
    reasons = [f.handle(responded(n), 0) for n in range(10_000)]
    f.end_batch()
    assert reasons.count(None) == 499
    assert reasons.count(Rejection("entity_too_large")) == 10_000 - 499
    assert stats.rejected[("cx.tickets", "entity_too_large")] == 10_000 - 499
    record = histories["T-1"]
    assert len(record[HIST]) == 500
    assert abs(len(orjson.dumps(record)) - record[SIZE]) < 100
    small = family({}, EntityLimits(max_events=10_000, max_bytes=4096))
    results = [small.handle(responded(n, "T-2"), 0) for n in range(1000)]
    assert Rejection("entity_too_large") in results
    assert len(orjson.dumps(small.histories["T-2"])) <= 4096


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["o", "r", "R", "O"]),
                          st.integers(0, 40), st.integers(0, 3)), max_size=60),
       st.integers(1, 20))
def test_batches_give_the_numbers_of_one_event_at_a_time(
        events: list[tuple[str, int, int]], batch: int) -> None:
    kinds = {"o": "ticket.opened", "r": "ticket.responded", "R": "ticket.resolved",
             "O": "ticket.reopened"}
    lines = []
    for n, (kind, minutes, ticket) in enumerate(events):
        data: dict[str, Any] = {"ticket_id": f"T{ticket}"}
        if kind == "o":
            data.update(customer_id="C", channel="chat", priority="urgent")
        elif kind in "rR":
            data["agent_id"] = "A"
        lines.append(orjson.dumps(ev(f"e{n}", kinds[kind], T0 + minutes * 300, **data)))
    one, batched = family({}), family({})
    for line in lines:
        one.handle(line, 0)
    for start in range(0, len(lines), batch):
        batched.begin_batch()
        for line in lines[start:start + batch]:
            batched.handle(line, 0)
        batched.end_batch()
    a, b = one.index.snapshot(), batched.index.snapshot()
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert a.gauges == b.gauges
        assert counts(a.windows) == counts(b.windows)


def counts(windows: dict[str, dict[Any, Any]]) -> dict[str, dict[Any, list[int]]]:
    """Each window's counts per label set; a label set whose facts were all subtracted
    again (all zeros) is the same as one that never had any."""
    return {w: {k: t.counts for k, t in v.items() if any(t.counts)} for w, v in windows.items()}


# ------------------------------------------------------------------ breach marks


def test_breaches_are_counted_once_over_restarts_and_never_for_old_history() -> None:
    now = time.time()
    histories: dict[str, Any] = {}
    first = family(histories, live=True)
    first.handle(orjson.dumps(ev("a", "ticket.opened", now - 3600, ticket_id="A",
                                 customer_id="C", channel="chat", priority="urgent")), 0)
    first.handle(orjson.dumps(ev("old", "ticket.opened", now - 3 * 86400, ticket_id="OLD",
                                 customer_id="C", channel="chat", priority="urgent")), 0)
    first.handle(orjson.dumps(ev("b", "ticket.opened", now - 14 * 60, ticket_id="B",
                                 customer_id="C", channel="chat", priority="urgent")), 0)
    assert sum(first.index.breaches.values()) == 1  # A; OLD's breaches are history
    assert histories["A"][MARKS] == ["first_response"]
    assert sorted(histories["OLD"][MARKS]) == ["first_response", "resolution"]
    # B falls due (15 min) while no worker runs; the next worker counts it, and only it.
    histories["B"][HIST][0][0] -= 120
    second = family(histories, live=True)
    second.rebuild({0})
    assert sum(second.index.breaches.values()) == 1
    assert histories["B"][MARKS] == ["first_response"]
    third = family(histories, live=True)
    third.rebuild({0})
    assert sum(third.index.breaches.values()) == 0


# ------------------------------------------------------------------ scrapes and expiry


class Broken(Collector):
    def collect(self) -> list[Metric]:
        raise OverflowError("int too large to convert to float")


class Fine(Collector):
    def collect(self) -> list[Metric]:
        return [GaugeMetricFamily("cx_fine", "fine", value=1.0)]


def test_one_family_failing_costs_only_its_own_series() -> None:
    guard = CollectorGuard()
    registry = build_registry([guard.guarded("costs", Broken()),
                               guard.guarded("tickets", Fine()), guard])
    for _ in range(3):
        samples = parse(generate_latest(registry).decode())
    assert samples[("cx_fine", ())] == 1.0
    assert samples[("cx_collector_errors_total", (("family", "costs"),))] == 3


def test_an_idle_partition_does_not_hold_live_expiry_back() -> None:
    mark = Watermark()
    mark.observe(0, T0, wall=1000.0)
    mark.observe(1, T0 + 7200, wall=1000.0)
    mark.observe(1, T0 + 9000, wall=1100.0)
    assert mark.value() == T0
    assert mark.active_value(1100.0, 60.0) == T0 + 9000  # partition 0 silent for 100 s
    assert mark.active_value(1030.0, 60.0) == T0
    mark.observe(0, T0 + 1, wall=1200.0)
    assert mark.active_value(1200.0, 60.0) == T0 + 1


def test_a_message_read_again_sends_its_entitys_samples_again() -> None:
    """A crash after the history write but before the team samples left: the re-read
    sends them (the owner replaces an entity's samples, so a repeat changes nothing)."""
    histories: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    first = TicketFamily(gate(seen), histories, SlaTargets(), 7 * 86400.0)
    first.handle(opened(0, "T-1"), 0, offset=0)
    first.handle(responded(1, "T-1", T0 + 60), 0, offset=1)
    assert first.outbox  # ... and lost with the process
    restarted = TicketFamily(gate(dict(seen)), histories, SlaTargets(), 7 * 86400.0)
    restarted.rebuild({0})  # a recovery sends every entity's samples again ...
    assert restarted.outbox == [("T-1", first.outbox[-1][1])]
    restarted.outbox.clear()  # ... and should that be lost too, the re-read does
    restarted.handle(responded(1, "T-1", T0 + 60), 0, offset=1)  # read again
    assert [ticket for ticket, _ in restarted.outbox] == ["T-1"]
    assert restarted.outbox[-1][1] == first.outbox[-1][1]


def test_a_history_write_that_outlived_its_dedupe_record_sends_the_samples_again() -> None:
    """A kill during the producer's flush: the history's changelog record arrived, the
    dedupe record (and so the offsets) and the team samples did not. The event is new
    to the restarted admission, old to the history: its samples must still leave."""
    histories: dict[str, Any] = {}
    first = TicketFamily(gate(), histories, SlaTargets(), 7 * 86400.0)
    first.handle(opened(0, "T-1"), 0, offset=0)
    first.handle(responded(1, "T-1", T0 + 60), 0, offset=1)
    restarted = TicketFamily(gate(), histories, SlaTargets(), 7 * 86400.0)  # seen lost
    restarted.rebuild({0})
    restarted.outbox.clear()  # what the recovery sent again (lost in turn)
    restarted.handle(responded(1, "T-1", T0 + 60), 0, offset=1)
    assert restarted.outbox == [("T-1", first.outbox[-1][1])]


def test_a_session_history_that_outlived_its_dedupe_record_sends_the_samples_again() -> None:
    def family(histories: dict[str, Any]) -> SessionFamily:
        admission = Admission("cx.sessions", IngestStats(), {}, replay_clock=True,
                              dedupe_horizon=3600.0)
        return SessionFamily(admission, histories, {}, ZoneInfo("UTC"), 7 * 86400.0)

    def session(n: int, kind: str, t: float) -> bytes:
        data = {"session_id": "S-1", "user_id": "U-1"}
        if kind == "session.started":
            data |= {"source": "paid", "device": "mobile"}
        return orjson.dumps(ev(f"s{n}", kind, t, **data))

    histories: dict[str, Any] = {}
    first = family(histories)
    first.handle(session(0, "session.started", T0), 0, offset=0)
    first.handle(session(1, "session.ended", T0 + 95.5), 0, offset=1)
    assert first.outbox[-1][1]  # the session's 95.5 s
    restarted = family(histories)
    restarted.rebuild({0})
    assert restarted.outbox == [("S-1", first.outbox[-1][1])]  # sent again on recovery
    restarted.outbox.clear()
    restarted.handle(session(1, "session.ended", T0 + 95.5), 0, offset=1)
    assert restarted.outbox == [("S-1", first.outbox[-1][1])]
