"""Unfriendly producers, real clients and deployment mistakes, on the real broker.

Each test is one item of "what was seen" in issue 19; each failed on the main of
2026-12-02. Events go in through real clients nobody here wrote where one exists:
the official CloudEvents SDK (both content modes of its Kafka binding) and kcat.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import to_binary, to_structured

from cxpulse.streams.deadletter import HEADER_OFFSET, HEADER_PARTITION, HEADER_REASON, HEADER_TOPIC
from tests.integration.conftest import Env, Worker, free_port
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.reference.workforce_plain import expected_workforce_metrics
from tests.support.prom import TICKET_FAMILIES, SampleKey, mismatches, only
from tests.support.scenario import ev, rfc3339
from tests.support.tools import require

pytestmark = pytest.mark.integration

Record = tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]
"""(default topic name, key, value, headers)."""


async def _produce(env: Env, records: Sequence[Record]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, linger_ms=20,
                                max_request_size=4 * 1024 * 1024)
    await producer.start()
    try:
        pending = [await producer.send(env.prefix + topic, value, key=key, headers=headers)
                   for topic, key, value, headers in records]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def produce(env: Env, records: Sequence[Record]) -> None:
    asyncio.run(_produce(env, records))


async def _read(env: Env, topic: str, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(env.prefix + topic, bootstrap_servers=env.bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[Any] = []
    try:
        async with asyncio.timeout(60):
            while len(out) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    out.extend(records)
    finally:
        await consumer.stop()
    return out


def deadletters(env: Env, expected: int) -> list[Any]:
    return asyncio.run(_read(env, "cx.deadletter", expected))


def total(samples: dict[SampleKey, float], name: str, **match: str) -> float:
    return sum(v for (n, labels), v in samples.items() if n == name
               and all(dict(labels).get(k) == want for k, want in match.items()))


def counted(samples: dict[SampleKey, float]) -> float:
    """Messages the worker has decided on: accepted, duplicate or rejected."""
    return (total(samples, "cx_events_total") + total(samples, "cx_events_duplicate_total")
            + total(samples, "cx_events_rejected_total"))


def keyed(event: dict[str, Any], topic: str, key_field: str,
          headers: list[tuple[str, bytes]] | None = None) -> Record:
    return topic, str(event["data"][key_field]).encode(), orjson.dumps(event), headers or []


NOW = time.time()


# ------------------------------------------------------------------ poison pills


def extreme_events(rng: random.Random) -> list[Record]:
    """Valid-looking events of every topic with extreme values and ids, seeded."""
    floats = [0.0, 5e-324, 1e-9, 1.5, 999_999_999.999, 1e9, 1e9 + 1, 1e15, 1e308,
              1.7976931348623157e308]
    ints = [0, 1, 2**31, 2**53, 10**9, 10**9 + 1, 2**63 - 1]
    long_id = "x" * 256
    base = NOW - 3600
    out: list[Record] = []
    for n in range(400):
        t = base + rng.uniform(0, 3500)
        ident = f"{n}-" + rng.choice(["", long_id[:200]])
        kind = n % 6
        if kind == 0:
            data = {"kind": rng.choice(["ads", "service"]), "source": rng.choice(
                ["paid", "organic", long_id]), "amount": rng.choice(floats)}
            if rng.random() < 0.7:
                data["clicks"] = rng.choice([*ints, 1e308])
            out.append(keyed(ev(f"c{ident}", "cost.recorded", t, **data), "cx.costs", "source"))
        elif kind == 1:
            out.append(keyed(ev(f"v{ident}", "conversion", t, user_id=f"U{n}"[:256],
                                source="paid", value=rng.choice(floats)),
                             "cx.conversions", "user_id"))
        elif kind == 2:
            survey = rng.choice(["nps", "csat", "ces"])
            out.append(keyed(ev(f"s{ident}", "survey.answered", t, survey=survey,
                                score=rng.choice([-1, 0, 1, 5, 7, 10, 11, 2**63 - 1]),
                                customer_id=long_id, channel="chat"),
                             "cx.surveys", "customer_id"))
        elif kind == 3:
            out.append(keyed(ev(f"t{ident}", "ticket.opened", t, ticket_id=f"T{n}{long_id}"[:256],
                                customer_id=long_id, channel=long_id, priority="urgent"),
                             "cx.tickets", "ticket_id"))
        elif kind == 4:
            contact = long_id[:255] + str(n % 10)
            out.append(keyed(ev(f"q{ident}", "contact.queued", t, contact_id=contact,
                                customer_id="C", channel="phone"), "cx.contacts", "contact_id"))
        else:
            out.append(keyed(ev(f"p{ident}", "page.viewed", t, session_id="S-hot",
                                user_id=f"U{n % 7}"), "cx.sessions", "user_id"))
    return out


def test_poison_pills_and_extreme_values_never_take_the_worker_down(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    seed = random.randrange(10**6)
    print(f"seed {seed}")
    records = extreme_events(random.Random(seed))
    # The two pills of the report, exactly.
    for n in range(2):
        records.append(keyed(ev(f"pill{n}", "cost.recorded", NOW - 60, kind="ads",
                                source="paid", amount=10.0, clicks=1e308), "cx.costs", "source"))
    produce(cx_env, records)
    worker = start_worker(cx_env)
    samples = worker.wait_for(lambda m: counted(m) >= len(records), timeout=180)
    assert counted(samples) == len(records)
    assert total(samples, "cx_events_rejected_total", reason="out_of_range") > 0
    with urllib.request.urlopen(cx_env.metrics_url, timeout=5) as response:
        assert response.status == 200
    assert total(samples, "cx_collector_errors_total") == 0
    for family in ("cx_tickets_open", "cx_contacts_in_queue", "cx_active_users",
                   "cx_conversions", "cx_survey_answers", "cx_ads_cost"):
        assert any(k[0] == family for k in samples), f"{family} missing"
    letters = deadletters(cx_env, int(total(samples, "cx_events_rejected_total")))
    reasons = {dict(r.headers)[HEADER_REASON].decode() for r in letters}
    assert "out_of_range:data.clicks" in reasons
    assert worker.proc.poll() is None


# ------------------------------------------------------------------ hot entity


def test_a_hot_ticket_is_capped_and_the_worker_survives_a_restart(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    hot = "T-hot"
    config = tmp_path / "cx.toml"
    config.write_text("[entities]\nmax_events = 1000\n")
    env = Env({**cx_env.vars, "CXPULSE_CONFIG": str(config)})
    base = NOW - 3000
    events = [ev("h-open", "ticket.opened", base, ticket_id=hot, customer_id="C",
                 channel="chat", priority="low")]
    events += [ev(f"h{n}", "ticket.responded", base + 1 + n * 0.1, ticket_id=hot, agent_id="A")
               for n in range(20_000)]
    produce(env, [keyed(e, "cx.tickets", "ticket_id") for e in events])
    worker = start_worker(env)
    samples = worker.wait_for(lambda m: counted(m) >= len(events), timeout=240)
    assert total(samples, "cx_events_total") == 1000
    assert total(samples, "cx_events_rejected_total", reason="entity_too_large") == 19_001
    assert total(samples, "cx_tickets_opened", window="1h") == 1
    worker.stop()
    again = start_worker(env)
    samples = again.wait_for(lambda m: total(m, "cx_tickets_open") == 1, timeout=180)
    time.sleep(5)
    assert again.proc.poll() is None
    assert total(again.scrape(), "cx_tickets_opened", window="1h") == 1


# ------------------------------------------------------------------ CloudEvents clients


def _sdk_event(n: int, mode: str) -> CloudEvent:
    return CloudEvent({"type": "ticket.opened", "source": "helpdesk", "id": f"{mode}-{n}",
                       "time": rfc3339(NOW - 600 + n), "datacontenttype": "application/json",
                       "partitionkey": f"T-{mode}-{n}"},
                      {"ticket_id": f"T-{mode}-{n}", "customer_id": "C", "channel": "email",
                       "priority": "high"})


def test_both_content_modes_from_the_official_sdk_and_kcat_are_accepted(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    kcat = require("kcat", "kcat")
    records: list[Record] = []
    for mode, convert in (("binary", to_binary), ("structured", to_structured)):
        for n in range(3):
            message = convert(_sdk_event(n, mode))
            headers = [(k, v) for k, v in message.headers.items()]
            key = message.key.encode() if isinstance(message.key, str) else message.key
            records.append(("cx.tickets", key, message.value, headers))
    env = Env({**cx_env.vars, "CXPULSE_CLOCK": "live"})  # every ticket open "now"
    produce(env, records)
    lines = b"".join(b"T-kcat-%d\t" % n + orjson.dumps(ev(f"kcat-{n}", "ticket.opened", NOW - 300,
                                                            ticket_id=f"T-kcat-{n}",
                                                            customer_id="C", channel="chat",
                                                            priority="low")) + b"\n"
                     for n in range(3))
    subprocess.run([kcat, "-P", "-b", env.bootstrap, "-t", env.prefix + "cx.tickets",
                    "-K", "\t"], input=lines, check=True, timeout=60)
    worker = start_worker(env)
    samples = worker.wait_for(lambda m: counted(m) >= 9, timeout=180)
    assert total(samples, "cx_events_total", event_type="ticket.opened") == 9
    assert total(samples, "cx_events_rejected_total") == 0
    assert total(samples, "cx_tickets_open", channel="email", priority="high") == 6


def test_customer_events_from_the_sdk_and_kcat_at_the_money_bounds_are_exact(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    kcat = require("kcat", "kcat")
    mrrs = {"binary": (1e9, 0.01), "structured": (999_999_999.99, 0.0)}  # schema: mrr <= 1e9
    records: list[Record] = []
    for mode, convert in (("binary", to_binary), ("structured", to_structured)):
        for n, mrr in enumerate(mrrs[mode]):
            message = convert(CloudEvent(
                {"type": "subscription.started", "source": "billing", "id": f"s-{mode}-{n}",
                 "time": rfc3339(NOW - 600 + n), "datacontenttype": "application/json",
                 "partitionkey": f"CU-{mode}-{n}"},
                {"subscription_id": f"S-{mode}-{n}", "customer_id": f"CU-{mode}-{n}",
                 "mrr": mrr}))
            key = message.key.encode() if isinstance(message.key, str) else message.key
            records.append(("cx.customers", key, message.value, list(message.headers.items())))
    env = Env({**cx_env.vars, "CXPULSE_CLOCK": "live"})
    produce(env, records)
    lines = b"".join(b"CU-kcat-%d\t" % n + orjson.dumps(ev(
        f"u-kcat-{n}", "customer.signed_up", NOW - 300, customer_id=f"CU-kcat-{n}",
        source="referral", referral_id=f"R-{n}")) + b"\n" for n in range(2))
    subprocess.run([kcat, "-P", "-b", env.bootstrap, "-t", env.prefix + "cx.customers",
                    "-K", "\t"], input=lines, check=True, timeout=60)
    worker = start_worker(env)
    samples = worker.wait_for(lambda m: counted(m) >= 6, timeout=180)
    assert total(samples, "cx_events_rejected_total") == 0
    assert total(samples, "cx_customers_active") == 4
    assert total(samples, "cx_mrr") == 1e9 + 0.01 + 999_999_999.99 + 0.0  # micro-units: exact
    assert total(samples, "cx_referred_signups", window="7d") == 2  # 1d may miss at midnight


def test_contact_ends_from_the_sdk_and_kcat_at_the_bounds_are_exact(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    kcat = require("kcat", "kcat")
    day = 86400.0  # the schema's bound for talk, hold and acw each
    parts = {"binary": (day, day, day), "structured": (0.5, 0.0, 1e-3), "over": (day + 1, 0, 0)}
    records: list[Record] = []
    for mode, (talk, hold, acw) in parts.items():
        convert = to_structured if mode == "structured" else to_binary
        message = convert(CloudEvent(
            {"type": "contact.ended", "source": "acd", "id": f"end-{mode}",
             "time": rfc3339(NOW - 60), "datacontenttype": "application/json",
             "partitionkey": f"K-{mode}"},
            {"contact_id": f"K-{mode}", "agent_id": "A", "talk_seconds": talk,
             "hold_seconds": hold, "acw_seconds": acw}))
        key = message.key.encode() if isinstance(message.key, str) else message.key
        records.append(("cx.contacts", key, message.value, list(message.headers.items())))
    env = Env({**cx_env.vars, "CXPULSE_CLOCK": "live"})
    produce(env, records)  # the ends first: they wait for their queued
    lines = b"".join(f"K-{mode}\t".encode() + orjson.dumps(ev(
        f"q-{mode}", "contact.queued", NOW - 600, contact_id=f"K-{mode}", customer_id="C",
        channel="phone")) + b"\n" for mode in parts)
    subprocess.run([kcat, "-P", "-b", env.bootstrap, "-t", env.prefix + "cx.contacts",
                    "-K", "\t"], input=lines, check=True, timeout=60)
    worker = start_worker(env)
    # The handle times reach the export through the team-samples topic, after the counts.
    samples = worker.wait_for(
        lambda m: counted(m) + total(m, "cx_events_rejected_total") >= 6
        and total(m, "cx_contact_handle_seconds_count", window="1h") >= 2, timeout=180)
    assert total(samples, "cx_events_rejected_total", reason="out_of_range") == 1
    assert total(samples, "cx_contact_handle_seconds_count", window="1h") == 2
    assert abs(total(samples, "cx_contact_handle_seconds_sum", window="1h")
               - (3 * day + 0.501)) < 1e-6  # float seconds, summed as floats


def test_agent_states_from_the_sdk_and_kcat_match_the_reference(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    """Binary CloudEvents from the official SDK, out of order, and kcat lines (a first
    event ``busy``, an unknown state): states and occupancy equal the reference's."""
    kcat = require("kcat", "kcat")
    end = float(int(NOW)) - 60  # both agents' last event: the replay "now" wherever they are
    sdk = [("s1", end - 3600, "available"), ("s3", end - 1500.25, "acw"),
           ("s2", end - 1800, "busy"), ("s4", end, "available")]  # s2 after s3
    records: list[Record] = []
    events = []
    for event_id, t, state in sdk:
        data = {"agent_id": "SDK-1", "state": state, "channel": "phone"}
        message = to_binary(CloudEvent(
            {"type": "agent.state_changed", "source": "wfm", "id": event_id,
             "time": rfc3339(t), "datacontenttype": "application/json",
             "partitionkey": "SDK-1"}, data))
        records.append(("cx.agents", b"SDK-1", message.value, list(message.headers.items())))
        events.append(ev(event_id, "agent.state_changed", t, **data))
    produce(cx_env, records)
    lines = [ev("k1", "agent.state_changed", end - 7200.5, agent_id="KC-1", state="busy"),
             ev("k2", "agent.state_changed", end - 90, agent_id="KC-1", state="away"),
             ev("k3", "agent.state_changed", end - 30, agent_id="KC-1", state="lunch"),
             ev("k4", "agent.state_changed", end, agent_id="KC-1", state="acw")]
    subprocess.run([kcat, "-P", "-b", cx_env.bootstrap, "-t", cx_env.prefix + "cx.agents",
                    "-K", "\t"], check=True, timeout=60,
                   input=b"".join(b"KC-1\t" + orjson.dumps(e) + b"\n" for e in lines))
    events += [e for e in lines if e["data"]["state"] != "lunch"]
    worker = start_worker(cx_env)
    samples = worker.wait_for(lambda m: counted(m) >= 8, timeout=180)
    assert total(samples, "cx_events_rejected_total", reason="invalid_field") == 1
    expected = expected_workforce_metrics(events, end)
    for (name, labels), want in expected.items():
        if name.startswith("cx_agent"):
            assert abs(samples[(name, labels)] - want) < 1e-6, (name, labels)
    assert total(samples, "cx_agents", state="available") == 1
    assert total(samples, "cx_agents", state="acw") == 1
    assert samples[("cx_agent_busy_seconds", (("window", "24h"),))] == pytest.approx(
        299.75 + 1500.25 + 7110.5)  # SDK-1 busy, then acw to now; KC-1's first busy


def test_ticket_pauses_and_replies_from_the_sdk_and_kcat_match_the_reference(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    """Binary CloudEvents from the official SDK (a customer reply sent before the status
    it resumes) and kcat lines (a status the contract does not know): every ticket
    series, the SLA engine's included, equals the reference's."""
    kcat = require("kcat", "kcat")
    end = float(int(NOW)) - 60
    sdk = [("t1", end - 10800, "ticket.opened", {"customer_id": "C", "channel": "email",
                                                 "priority": "urgent"}),
           ("t2", end - 10500, "ticket.responded", {"agent_id": "A"}),
           ("t4", end - 3600, "ticket.customer_replied", {}),  # sent before t3
           ("t3", end - 7200, "ticket.status_changed", {"status": "pending"}),
           ("t5", end - 1800, "ticket.responded", {"agent_id": "A"}),
           ("t6", end, "ticket.customer_replied", {})]
    records: list[Record] = []
    events = []
    for event_id, t, event_type, extra in sdk:
        data = {"ticket_id": "SDK-T", **extra}
        message = to_binary(CloudEvent(
            {"type": event_type, "source": "helpdesk", "id": event_id, "time": rfc3339(t),
             "datacontenttype": "application/json", "partitionkey": "SDK-T"}, data))
        records.append(("cx.tickets", b"SDK-T", message.value, list(message.headers.items())))
        events.append(ev(event_id, event_type, t, **data))
    produce(cx_env, records)
    lines = [ev("k1", "ticket.opened", end - 7200, ticket_id="KC-T", customer_id="C",
                channel="chat", priority="normal"),
             ev("k2", "ticket.responded", end - 3600, ticket_id="KC-T", agent_id="A"),
             ev("k3", "ticket.status_changed", end - 1500, ticket_id="KC-T", status="solved"),
             ev("k4", "ticket.status_changed", end - 1200, ticket_id="KC-T", status="pending"),
             ev("k5", "ticket.status_changed", end, ticket_id="KC-T", status="on_hold")]
    subprocess.run([kcat, "-P", "-b", cx_env.bootstrap, "-t", cx_env.prefix + "cx.tickets",
                    "-K", "\t"], check=True, timeout=60,
                   input=b"".join(b"KC-T\t" + orjson.dumps(e) + b"\n" for e in lines))
    events += [e for e in lines if e["data"].get("status") != "solved"]
    worker = start_worker(cx_env)
    expected = expected_ticket_metrics(events, end)
    # The response times reach the export through the team-samples topic, after the
    # counts: wait for both.
    samples = worker.wait_for(
        lambda m: counted(m) >= 11 and not mismatches(only(m, TICKET_FAMILIES), expected),
        timeout=180,
        explain=lambda m: "\n".join(mismatches(only(m, TICKET_FAMILIES), expected)[:20]))
    assert total(samples, "cx_events_rejected_total", reason="invalid_field") == 1
    assert total(samples, "cx_tickets_paused") == 1  # KC-T, on hold
    assert total(samples, "cx_next_reply_seconds_count", window="24h") == 1  # 30 min
    assert samples[("cx_sla_next_breach_seconds", (("channel", "email"), ("priority", "urgent"),
                                                   ("sla", "next_reply")))] == 3600


# ------------------------------------------------------------------ dead letters


def test_dead_letters_keep_the_key_and_every_original_header(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    trace = [("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    bad_binary = to_binary(CloudEvent(
        {"type": "survey.answered", "source": "survey", "id": "bad-1", "time": rfc3339(NOW),
         "datacontenttype": "application/json", "partitionkey": "C-1"},
        {"survey": "csat", "score": 9, "customer_id": "C-1", "channel": "web"}))
    binary_headers = [*bad_binary.headers.items(), *trace]
    wrong_key = ev("wk-1", "survey.answered", NOW, survey="nps", score=9, customer_id="C-2",
                   channel="web")
    produce(cx_env, [("cx.surveys", b"C-1", bad_binary.value, binary_headers),
                     ("cx.surveys", b"not-C-2", orjson.dumps(wrong_key), trace),
                     ("cx.surveys", None, orjson.dumps({**wrong_key, "id": "wk-2"}), [])])
    worker = start_worker(cx_env)
    samples = worker.wait_for(lambda m: counted(m) >= 3, timeout=180)
    assert total(samples, "cx_events_rejected_total", reason="wrong_key") == 2
    letters = sorted(deadletters(cx_env, 3), key=lambda r: r.key or b"")
    by_key = {r.key: r for r in letters}
    binary = by_key[b"C-1"]
    assert binary.value == bad_binary.value
    assert list(binary.headers[:len(binary_headers)]) == binary_headers
    extra = dict(binary.headers[len(binary_headers):])
    assert extra[HEADER_REASON] == b"out_of_range:data.score"
    assert extra[HEADER_TOPIC] == (cx_env.prefix + "cx.surveys").encode()
    assert HEADER_PARTITION in extra and HEADER_OFFSET in extra
    assert dict(by_key[b"not-C-2"].headers)["traceparent"] == trace[0][1]
    assert dict(by_key[None].headers)[HEADER_REASON] == b"wrong_key"


# ------------------------------------------------------------------ HTTP surface


def test_faust_web_port_serves_nothing_and_healthz_answers(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    worker = start_worker(cx_env)
    worker.wait_for(lambda m: True, timeout=120)
    web_port = int(cx_env.vars["CXPULSE_WEB_PORT"])
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", web_port),
                                                                         timeout=2):
        pass
    base = cx_env.metrics_url.removesuffix("/metrics")
    with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
        assert response.status == 200 and response.read() == b"ok\n"
    for path in ("/table/", "/router/"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(base + path, timeout=2)
        assert error.value.code == 404


# ------------------------------------------------------------------ breaches and history


def _ticket(tid: str, opened: float, priority: str = "high") -> Record:
    return keyed(ev(f"{tid}-o", "ticket.opened", opened, ticket_id=tid, customer_id="C",
                    channel="chat", priority=priority), "cx.tickets", "ticket_id")


def test_history_read_by_a_new_deployment_pages_nobody(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    env = Env({**cx_env.vars, "CXPULSE_CLOCK": "live"})
    old = [_ticket(f"T-old-{n}", NOW - 4 * 86400 + n) for n in range(3)]
    recent = _ticket("T-recent", NOW - 2 * 3600, priority="urgent")  # 15 min target
    produce(env, [*old, recent])
    worker = start_worker(env)
    samples = worker.wait_for(lambda m: total(m, "cx_tickets_open") == 4, timeout=180)
    time.sleep(2)
    samples = worker.scrape()
    assert total(samples, "cx_tickets_in_breach", sla="first_response") == 4
    assert total(samples, "cx_tickets_in_breach", sla="resolution") == 3
    # Only the recent ticket's breach lies within the kept day: it alone is counted.
    assert total(samples, "cx_sla_breaches_total") == 1
    assert total(samples, "cx_sla_breaches_total", priority="urgent") == 1


def test_a_breach_that_falls_due_while_no_worker_runs_is_counted_once(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    config = tmp_path / "cx.toml"
    config.write_text('[sla.first_response]\nurgent = "1m"\n')
    env = Env({**cx_env.vars, "CXPULSE_CLOCK": "live", "CXPULSE_CONFIG": str(config)})
    produce(env, [_ticket("T-before", time.time() - 300, priority="urgent")])
    first = start_worker(env)
    first.wait_for(lambda m: total(m, "cx_sla_breaches_total") == 1, timeout=180)
    due = time.time() + 30
    produce(env, [_ticket("T-during", due - 60, priority="urgent")])
    first.wait_for(lambda m: total(m, "cx_tickets_open") == 2, timeout=20)
    samples = first.scrape()
    assert total(samples, "cx_sla_breaches_total") == 1
    first.stop()
    assert time.time() < due, "the first worker took too long to stop"
    time.sleep(due - time.time() + 5)  # T-during falls due while no worker runs
    second = start_worker(env)
    samples = second.wait_for(lambda m: total(m, "cx_tickets_in_breach",
                                                sla="first_response") == 2, timeout=180)
    time.sleep(3)
    # Summed over both processes: 2, as one uninterrupted worker would count.
    assert total(second.scrape(), "cx_sla_breaches_total") == 1


@pytest.mark.rebalance_midstream
def test_two_workers_and_a_rebalance_count_every_breach_and_event_once(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    t0 = NOW - 8 * 3600
    rng = random.Random(7)
    first_half: list[Record] = []
    second_half: list[Record] = []
    unanswered = 0
    events = 0
    for n in range(600):
        tid = f"T-{n}"
        # The second half starts after the first ends: each partition stays in time
        # order, so no response arrives after "now" passed its deadline.
        opened = t0 + n * 4.0 + (0.0 if n < 300 else 3600.0)
        part = first_half if n < 300 else second_half
        part.append(_ticket(tid, opened, priority="urgent"))
        events += 1
        if rng.random() < 0.3:
            unanswered += 1  # first response (15 min) and resolution (4 h) both breach
            continue
        for kind, dt in (("ticket.responded", 300.0), ("ticket.resolved", 1800.0)):
            part.append(keyed(ev(f"{tid}-{kind}", kind, opened + dt, ticket_id=tid,
                                 agent_id="A"), "cx.tickets", "ticket_id"))
            events += 1
    # Events past every deadline on every partition move each worker's watermark on.
    tail = [keyed(ev(f"F-{n}-r", "ticket.reopened", t0 + 7 * 3600, ticket_id=f"F-{n}"),
                  "cx.tickets", "ticket_id") for n in range(120)]
    events += len(tail)
    produce(cx_env, sorted(first_half, key=lambda r: orjson.loads(r[2])["time"]))
    a = start_worker(cx_env)
    a.wait_for(lambda m: counted(m) >= len(first_half), timeout=180)
    b_env = Env({**cx_env.vars, "CXPULSE_METRICS_PORT": str(free_port()),
                 "CXPULSE_WEB_PORT": str(free_port()),
                 "CXPULSE_DATA_DIR": str(tmp_path / "worker-b")})
    b = start_worker(b_env)  # joins while the second half streams in: a rebalance mid-way
    rest = sorted(second_half, key=lambda r: orjson.loads(r[2])["time"]) + tail
    for start in range(0, len(rest), 40):
        produce(cx_env, rest[start:start + 40])
        time.sleep(0.5)

    def done() -> tuple[dict[SampleKey, float], dict[SampleKey, float]]:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                ends = a.scrape(), b.scrape()
            except OSError:
                ends = None
            if ends and sum(total(e, "cx_sla_breaches_total") for e in ends) >= 2 * unanswered \
                    and sum(total(e, "cx_events_total") for e in ends) >= events \
                    and all(total(e, "cx_events_total") > 0 for e in ends):
                time.sleep(3)  # anything counted twice would show now
                return a.scrape(), b.scrape()
            time.sleep(1)
        pytest.fail(f"breaches or events never reached {2 * unanswered}, {events}; last: "
                    f"{[total(e, 'cx_events_total') for e in ends or ()]}\n{a.tail()}\n"
                    f"{b.tail()}")

    ends = done()
    summed = {name: sum(total(e, name) for e in ends)
              for name in ("cx_sla_breaches_total", "cx_events_total",
                           "cx_events_duplicate_total", "cx_events_rejected_total")}
    assert summed == {"cx_sla_breaches_total": 2 * unanswered, "cx_events_total": events,
                      "cx_events_duplicate_total": 0, "cx_events_rejected_total": 0}, summed
    for sla in ("first_response", "resolution"):
        assert sum(total(e, "cx_sla_breaches_total", sla=sla) for e in ends) == unanswered
    # The first worker only lost partitions in the rebalance: the ones it kept are
    # resumed where its store is (streams/store.py), not read again from the start.
    log = a.log.read_text(errors="replace")
    later = re.search(r"generation id ([2-9]|\d\d+) app consumers id", log)
    assert later, "the first worker never saw a second generation"
    assert "Restoring state from changelog topics" not in log[later.start():], a.tail()
