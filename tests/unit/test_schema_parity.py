"""The Python checks and the shipped JSON Schema files accept and reject the same events."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from cxpulse.schemas.contract import CONTRACTS, ENVELOPE_SCHEMA
from cxpulse.schemas.events import Event, Rejection, decode


def _registry() -> tuple[Registry, dict[str, dict[str, Any]]]:
    from importlib import resources

    docs = {}
    for entry in resources.files("cxpulse.schemas").joinpath("json").iterdir():
        doc = orjson.loads(entry.read_bytes())
        docs[doc["$id"]] = doc
    registry: Registry = Registry().with_resources(
        (uri, Resource.from_contents(doc)) for uri, doc in docs.items())
    by_type = {doc["title"]: doc for doc in docs.values() if doc["$id"] != ENVELOPE_SCHEMA["$id"]}
    return registry, by_type


REGISTRY, TYPE_SCHEMAS = _registry()


def schema_accepts(event: Any) -> bool:
    """What an upstream team's validator says: the event matches its type's schema."""
    if not isinstance(event, dict) or event.get("type") not in TYPE_SCHEMAS:
        return False
    validator = Draft202012Validator(TYPE_SCHEMAS[event["type"]], registry=REGISTRY,
                                     format_checker=FormatChecker())
    return validator.is_valid(event)


def python_accepts(event: Any) -> bool:
    return isinstance(decode(orjson.dumps(event)), Event)


GOOD: dict[str, dict[str, Any]] = {
    "ticket.opened": {"ticket_id": "T-1", "customer_id": "C-1", "channel": "email",
                      "priority": "high", "team": "billing"},
    "ticket.responded": {"ticket_id": "T-1", "agent_id": "A-1", "public": False, "by": "bot"},
    "ticket.resolved": {"ticket_id": "T-1", "agent_id": "A-1"},
    "ticket.reopened": {"ticket_id": "T-1"},
    "contact.queued": {"contact_id": "K-1", "customer_id": "C-1", "channel": "phone"},
    "contact.answered": {"contact_id": "K-1", "agent_id": "A-1"},
    "contact.abandoned": {"contact_id": "K-1"},
    "contact.ended": {"contact_id": "K-1", "agent_id": "A-1", "talk_seconds": 240.5,
                      "hold_seconds": 0, "acw_seconds": 30},
    "session.started": {"session_id": "S-1", "user_id": "U-1", "source": "paid",
                        "device": "mobile"},
    "page.viewed": {"session_id": "S-1", "user_id": "U-1", "url": "/pricing"},
    "session.ended": {"session_id": "S-1", "user_id": "U-1"},
    "conversion": {"user_id": "U-1", "source": "email", "value": 12.5, "currency": "EUR"},
    "survey.answered": {"survey": "csat", "score": 4, "customer_id": "C-1", "channel": "chat"},
    "cost.recorded": {"kind": "ads", "source": "paid", "amount": 100.0, "clicks": 40},
    "customer.signed_up": {"customer_id": "CU-1", "source": "referral", "referral_id": "R-1"},
    "subscription.started": {"subscription_id": "S-1", "customer_id": "CU-1", "mrr": 49.0},
    "subscription.changed": {"subscription_id": "S-1", "customer_id": "CU-1", "mrr": 99.0},
    "subscription.cancelled": {"subscription_id": "S-1", "customer_id": "CU-1",
                               "voluntary": False},
    "referral.sent": {"referral_id": "R-1", "customer_id": "CU-1", "channel": "email"},
    "complaint.opened": {"complaint_id": "K-1", "customer_id": "CU-1", "channel": "phone"},
    "complaint.closed": {"complaint_id": "K-1", "customer_id": "CU-1", "upheld": True},
    "agent.state_changed": {"agent_id": "A-1", "state": "acw", "channel": "phone"},
    "ticket.status_changed": {"ticket_id": "T-1", "status": "on_hold"},
    "ticket.customer_replied": {"ticket_id": "T-1"},
}


def envelope(event_type: str, data: Any, time: str = "2026-11-22T10:15:03.120Z") -> dict[str, Any]:
    return {"specversion": "1.0", "id": "e-1", "source": "test", "type": event_type,
            "time": time, "data": data}


def test_every_type_has_a_schema_and_an_example() -> None:
    assert set(GOOD) == set(CONTRACTS) == set(TYPE_SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(GOOD))
def test_good_examples_pass_both(event_type: str) -> None:
    event = envelope(event_type, GOOD[event_type])
    assert schema_accepts(event)
    assert python_accepts(event)


def _bad_examples() -> list[tuple[str, dict[str, Any], str]]:
    cases: list[tuple[str, dict[str, Any], str]] = []
    for event_type, data in GOOD.items():
        required = CONTRACTS[event_type].required
        for name in required:
            d = dict(data)
            del d[name]
            cases.append((f"{event_type} without {name}", envelope(event_type, d),
                          f"missing_field:data.{name}"))
            d = dict(data)
            d[name] = ["not", "a", "scalar"]
            cases.append((f"{event_type} {name} is a list", envelope(event_type, d),
                          f"invalid_field:data.{name}"))
    for survey, bad in (("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("ces", 8)):
        d = {**GOOD["survey.answered"], "survey": survey, "score": bad}
        cases.append((f"{survey} score {bad}", envelope("survey.answered", d),
                      "out_of_range:data.score"))
    cases += [
        ("nps 7.5", envelope("survey.answered", {**GOOD["survey.answered"], "survey": "nps",
                                                  "score": 7.5}), "invalid_field:data.score"),
        ("negative value", envelope("conversion", {**GOOD["conversion"], "value": -1}),
         "out_of_range:data.value"),
        ("bool amount", envelope("cost.recorded", {**GOOD["cost.recorded"], "amount": True}),
         "invalid_field:data.amount"),
        ("mrr above 10^9", envelope("subscription.changed", {
            **GOOD["subscription.changed"], "mrr": 1e12}), "out_of_range:data.mrr"),
        ("negative mrr", envelope("subscription.started", {
            **GOOD["subscription.started"], "mrr": -5}), "out_of_range:data.mrr"),
        ("upheld as string", envelope("complaint.closed", {
            **GOOD["complaint.closed"], "upheld": "yes"}), "invalid_field:data.upheld"),
        ("bot as string", envelope("ticket.responded", {**GOOD["ticket.responded"],
                                                        "by": "robot"}), "invalid_field:data.by"),
        ("unknown agent state", envelope("agent.state_changed", {
            **GOOD["agent.state_changed"], "state": "lunch"}), "invalid_field:data.state"),
        ("unknown ticket status", envelope("ticket.status_changed", {
            "ticket_id": "T", "status": "solved"}), "invalid_field:data.status"),
        ("empty ticket id", envelope("ticket.reopened", {"ticket_id": ""}),
         "invalid_field:data.ticket_id"),
        ("no offset", envelope("ticket.reopened", {"ticket_id": "T"}, "2026-11-22T10:15:03"),
         "invalid_time"),
        ("month 13", envelope("ticket.reopened", {"ticket_id": "T"}, "2026-13-22T10:15:03Z"),
         "invalid_time"),
        ("date only", envelope("ticket.reopened", {"ticket_id": "T"}, "2026-11-22"),
         "invalid_time"),
        ("unknown type", envelope("ticket.merged", {"ticket_id": "T"}), "unknown_type"),
        ("data not object", envelope("ticket.reopened", ["T"]), "invalid_field:data"),
    ]
    no_id = envelope("ticket.reopened", {"ticket_id": "T"})
    del no_id["id"]
    cases.append(("no id", no_id, "missing_field:id"))
    v2 = {**envelope("ticket.reopened", {"ticket_id": "T"}), "specversion": "0.3"}
    cases.append(("specversion 0.3", v2, "invalid_field:specversion"))
    return cases


@pytest.mark.parametrize(("case", "event", "reason"), _bad_examples(),
                         ids=[c[0] for c in _bad_examples()])
def test_bad_examples_fail_both_with_the_reason(case: str, event: dict[str, Any],
                                                reason: str) -> None:
    assert not schema_accepts(event)
    result = decode(orjson.dumps(event))
    assert result == Rejection(reason)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "invalid_json"), (b"\xff\xfe", "invalid_json"), (None, "invalid_json"),
    (b"[1, 2]", "not_an_object"), (b'"text"', "not_an_object"),
    (b'{"specversion":"1.0","id":"x","source":"s","type":"t","time":NaN,"data":{}}',
     "invalid_json"),
])
def test_undecodable_bytes(raw: bytes | None, reason: str) -> None:
    assert decode(raw) == Rejection(reason)


def test_a_type_on_another_family_topic_is_rejected() -> None:
    event = orjson.dumps(envelope("contact.abandoned", {"contact_id": "K"}))
    assert decode(event, "cx.tickets") == Rejection("unexpected_type")
    assert isinstance(decode(event, "cx.contacts"), Event)


def test_offsets_and_extra_fields() -> None:
    event = envelope("ticket.reopened", {"ticket_id": "T", "extra": 1},
                     "2026-11-22T11:15:03.5+01:00")
    event["extension"] = "ignored"
    result = decode(orjson.dumps(event))
    assert isinstance(result, Event)
    assert result.time == pytest.approx(1795342503.5)


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-20, 20),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5))


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    event_type = draw(st.sampled_from(sorted(GOOD)))
    event = envelope(event_type, copy.deepcopy(GOOD[event_type]))
    for _ in range(draw(st.integers(1, 3))):
        data = event.get("data")
        target = draw(st.sampled_from(["data", "envelope"])) if isinstance(data, dict) else "e"
        where = data if target == "data" else event
        keys = sorted(where)
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete" and keys:
            del where[draw(st.sampled_from(keys))]
        elif action == "replace" and keys:
            where[draw(st.sampled_from(keys))] = draw(_scalars)
        else:
            where[draw(st.sampled_from(["survey", "score", "by", "public", "x"]))] = draw(_scalars)
    return event


@settings(max_examples=600, deadline=None)
@given(mutated_events())
def test_python_and_schema_agree_on_mutated_events(event: dict[str, Any]) -> None:
    assert python_accepts(event) == schema_accepts(event)
