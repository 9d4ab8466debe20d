"""Any bytes on any topic: no crash, every message accepted or rejected with a reason,
labels bounded whatever upstream sends, and no event from the far future moves "now"."""

from __future__ import annotations

import random
import time

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.config import Settings
from cxpulse.families import EVENT_TOPICS
from cxpulse.schemas.events import MAX_BYTES, Event, Rejection, decode
from tests.support import mixed_scenario
from tests.support.mixed import MixedPipeline
from tests.support.scenario import ev

KINDS = {"invalid_json", "not_an_object", "missing_field", "invalid_field", "out_of_range",
         "invalid_time", "unknown_type", "unexpected_type", "too_large", "future_time",
         "reused_id"}
SEEDS = [orjson.dumps(e) for e in mixed_scenario.build(seed=2, hours=0.5, rate=60).valid]


def _mutate(rng: random.Random, raw: bytes) -> bytes:
    """One of the ways upstream data goes wrong."""
    choice = rng.randrange(12)
    doc = orjson.loads(raw)
    if choice == 0:
        return rng.randbytes(rng.randrange(1, 300))
    if choice == 1:  # flip, drop or insert bytes
        b = bytearray(raw)
        for _ in range(rng.randrange(1, 6)):
            i = rng.randrange(len(b))
            op = rng.randrange(3)
            if op == 0:
                b[i] = rng.randrange(256)
            elif op == 1:
                del b[i]
            else:
                b.insert(i, rng.randrange(256))
        return bytes(b)
    if choice == 2:
        return b"[" * rng.randrange(500, 3000) + b"]" * rng.randrange(500, 3000)
    if choice == 3:  # numbers beyond 64 bits, NaN, Infinity
        return raw.replace(b'"data":{', b'"data":{"n":' + rng.choice(
            [b"1" * 400, b"NaN", b"Infinity", b"-1e999", b"1e400"]) + b",")
    if choice == 4:
        return raw[:-1] + b',"pad":"' + b"x" * (MAX_BYTES + 10) + b'"}'
    if choice == 5:  # not UTF-8
        return raw.replace(b'"source":"', b'"source":"\xff\xfe')
    if choice == 6:  # the year 3000
        doc["time"] = "3000-01-01T00:00:00Z"
    elif choice == 7:  # a field of the wrong type
        key = rng.choice(list(doc["data"]))
        doc["data"][key] = rng.choice([None, 12, [], {}, True, "x" * 300])
    elif choice == 8:  # a required field gone
        doc.pop(rng.choice(["id", "type", "time", "data", "specversion", "source"]))
    elif choice == 9:  # junk dimension values: exported as other
        for key in ("channel", "source", "priority"):
            if key in doc["data"]:
                doc["data"][key] = f"junk-{rng.randrange(10**6)}"
    elif choice == 10:  # an id reused with another payload: rejected, the first one stands
        doc["data"] = {**doc["data"], "reused": True}
    else:
        return raw  # redelivered as is
    return orjson.dumps(doc)


def test_a_hundred_thousand_hostile_messages_are_each_accepted_or_rejected() -> None:
    rng = random.Random(int(time.time()))
    seed = rng.randrange(2**32)
    rng = random.Random(seed)
    print(f"fuzz seed {seed}")  # replay a failure with this seed
    pipeline = MixedPipeline(Settings(clock="replay"))
    families = list(pipeline.families.values())
    total = 100_000
    rejected = 0
    for n in range(total):
        raw = _mutate(rng, rng.choice(SEEDS)) if n % 10 else rng.choice(SEEDS)
        family = rng.choice(families)  # any bytes on any topic
        rejection = family.handle(raw, rng.randrange(6))
        if rejection is not None:
            assert rejection.kind in KINDS, rejection
            rejected += 1
        family.outbox.clear()
    stats = pipeline.stats
    assert sum(stats.accepted.values()) + sum(stats.duplicate.values()) + rejected == total
    assert sum(stats.rejected.values()) == rejected
    samples = pipeline.samples()  # still serves metrics
    marks = [v for (name, _), v in samples.items() if name == "cx_watermark_seconds"]
    assert marks and max(marks) < time.time() + 3600  # the year 3000 moved nothing
    labels = {value for _, pairs in samples for key, value in pairs
              if key in ("channel", "source", "priority")}
    assert not any(value.startswith("junk") for value in labels)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_decoding_any_bytes_never_raises(raw: bytes) -> None:
    for topic in (None, *EVENT_TOPICS):
        result = decode(raw, topic, now=time.time())
        assert isinstance(result, Event | Rejection)
        if isinstance(result, Rejection):
            assert result.kind in KINDS


def test_ten_thousand_junk_channels_add_no_series() -> None:
    pipeline = MixedPipeline(Settings(clock="replay"))
    t = mixed_scenario.END - 600
    pipeline.feed([orjson.dumps(ev("base", "ticket.opened", t, ticket_id="B", customer_id="C",
                                   channel="junk-base", priority="p-base"))])
    before = len(pipeline.samples())
    lines = []
    for n in range(10_000):
        lines.append(orjson.dumps(ev(f"j{n}", "ticket.opened", t, ticket_id=f"J{n}",
                                     customer_id="C", channel=f"junk-{n}",
                                     priority=f"p-{n}")))
    pipeline.feed(lines)
    samples = pipeline.samples()
    assert len(samples) == before
    key = ("cx_tickets_open", (("channel", "other"), ("priority", "other")))
    assert samples[key] == 10_001


def test_one_event_from_the_year_3000_is_rejected_and_moves_nothing() -> None:
    pipeline = MixedPipeline(Settings(clock="replay"))
    t = mixed_scenario.END
    reasons = pipeline.feed([
        orjson.dumps(ev("a", "survey.answered", t, survey="nps", score=9, customer_id="C",
                        channel="web")),
        orjson.dumps({**ev("b", "survey.answered", t, survey="nps", score=0, customer_id="C",
                           channel="web"), "time": "3000-01-01T00:00:00Z"}),
    ])
    assert reasons == ["future_time"]
    assert pipeline.samples()[("cx_watermark_seconds", (("topic", "cx.surveys"),))] == t


def test_an_id_reused_with_another_payload_is_dead_lettered_and_the_first_stands() -> None:
    pipeline = MixedPipeline(Settings(clock="replay"))
    t = mixed_scenario.END - 600
    first = orjson.dumps(ev("x", "ticket.opened", t, ticket_id="A", customer_id="C",
                            channel="email", priority="high"))
    reused = orjson.dumps(ev("x", "ticket.opened", t + 5, ticket_id="B", customer_id="C",
                             channel="chat", priority="low"))
    # The same event again, its keys in another order: a redelivery, not a reuse.
    again = orjson.dumps(dict(reversed(list(orjson.loads(first).items()))))
    assert pipeline.feed([first, reused, again]) == ["reused_id"]
    samples = pipeline.samples()
    open_ = {dict(labels)["channel"]: v for (name, labels), v in samples.items()
             if name == "cx_tickets_open" and v}
    assert open_ == {"email": 1}
    assert samples[("cx_events_rejected_total",
                    (("reason", "reused_id"), ("topic", "cx.tickets")))] == 1
    assert samples[("cx_events_duplicate_total", (("topic", "cx.tickets"),))] == 1
