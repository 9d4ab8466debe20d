"""The pure parts of ``cxpulse deadletters``: headers, choosing, re-keying, printing."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from cxpulse.deadletters import (
    HEADER_REPUBLISHED_FROM,
    DeadLetter,
    Outgoing,
    as_json,
    choose,
    entity_key,
    outgoing,
    print_summary,
)
from cxpulse.streams.deadletter import DeadLetters, header_list

DLQ = "p.cx.deadletter"
OPENED = orjson.dumps({"specversion": "1.0", "id": "e1", "source": "helpdesk",
                       "type": "ticket.opened", "time": "2026-11-22T10:15:03Z",
                       "data": {"ticket_id": "T-1", "customer_id": "C-9", "channel": "email",
                                "priority": "high"}})


def letter(offset: int, reason: str, *, partition: int = 0, topic: str = "p.cx.tickets",
           key: bytes | None = b"wrong", value: bytes | None = OPENED,
           extra: list[tuple[str, bytes]] | None = None) -> DeadLetter:
    headers = [("traceparent", b"00-abc-01"), *(extra or []),
               ("cxpulse-source-topic", topic.encode()),
               ("cxpulse-source-partition", b"3"),
               ("cxpulse-source-offset", str(100 + offset).encode()),
               ("cxpulse-reason", reason.encode())]
    return DeadLetter(DLQ, partition, offset, key, value, headers)


def test_header_list_takes_faust_lists_and_mappings() -> None:
    assert header_list(None) == []
    assert header_list([("a", b"1"), ("a", b"2")]) == [("a", b"1"), ("a", b"2")]
    assert header_list({"a": b"1", "b": None}) == [("a", b"1"), ("b", b"")]
    assert header_list([(b"raw", b"x")]) == [("raw", b"x")]


def test_the_dead_letterer_appends_its_headers_to_the_originals() -> None:
    sent: list[dict[str, Any]] = []

    async def send(**kwargs: Any) -> None:
        sent.append(kwargs)

    letters = DeadLetters.__new__(DeadLetters)
    letters.topic = SimpleNamespace(send=send)  # type: ignore[assignment]
    for headers in ([("traceparent", b"t1")], {"traceparent": b"t1"}):
        message = SimpleNamespace(topic="p.cx.tickets", partition=2, offset=7, key=b"k",
                                  value=b"v", headers=headers)
        asyncio.run(letters.send(message, "wrong_key"))
    expected = [("traceparent", b"t1"), ("cxpulse-source-topic", b"p.cx.tickets"),
                ("cxpulse-source-partition", b"2"), ("cxpulse-source-offset", b"7"),
                ("cxpulse-reason", b"wrong_key")]
    assert sent == [{"key": b"k", "value": b"v", "headers": expected}] * 2


def test_a_letter_reads_its_cxpulse_headers() -> None:
    d = letter(4, "out_of_range:data.amount")
    assert (d.source_topic, d.source_partition, d.source_offset) == ("p.cx.tickets", 3, 104)
    assert (d.reason, d.reason_kind) == ("out_of_range:data.amount", "out_of_range")
    assert d.original_headers == [("traceparent", b"00-abc-01")]
    assert d.where == "p.cx.deadletter:0:4"
    bare = DeadLetter(DLQ, 1, 0, None, b"x", [])
    assert (bare.reason, bare.source_topic, bare.source_partition) == ("(no reason)", None, None)


def test_choose_by_reason_prefix_topic_and_limit_in_topic_order() -> None:
    letters = [letter(2, "wrong_key", partition=1), letter(0, "wrong_key", partition=1),
               letter(5, "out_of_range:data.amount", topic="p.cx.costs"),
               letter(1, "invalid_json")]
    where = [d.where for d in choose(letters, reason="wrong_key")]
    assert where == ["p.cx.deadletter:1:0", "p.cx.deadletter:1:2"]
    assert [d.offset for d in choose(letters, reason="out_of_range")] == [5]
    assert [d.offset for d in choose(letters, source_topic="cx.costs", prefix="p.")] == [5]
    assert [d.offset for d in choose(letters, source_topic="p.cx.costs", prefix="p.")] == [5]
    assert [d.offset for d in choose(letters, source_topic="cx.costs")] == []
    assert [d.where for d in choose(letters, limit=2)] == ["p.cx.deadletter:0:1",
                                                           "p.cx.deadletter:0:5"]


def test_republished_headers_drop_cxpulse_ones_and_say_where_from() -> None:
    earlier = ("cxpulse-republished-from", b"p.cx.deadletter:5:9")
    d = letter(3, "wrong_key", extra=[("tenant", b"\xff\x00"), earlier])
    assert d.republished_before
    sent = outgoing(d, rekey=False)
    assert sent == Outgoing("p.cx.tickets", b"wrong", OPENED,
                            [("traceparent", b"00-abc-01"), ("tenant", b"\xff\x00"),
                             (HEADER_REPUBLISHED_FROM, b"p.cx.deadletter:0:3")], "wrong_key")


def test_rekey_structured_and_binary_events() -> None:
    assert entity_key(letter(0, "wrong_key")) == b"T-1"
    binary = letter(1, "wrong_key", value=b'{"contact_id": "K-7", "agent_id": "A"}',
                    extra=[("ce_specversion", b"1.0"), ("ce_type", b"contact.answered")])
    assert entity_key(binary) == b"K-7"
    rekeyed = outgoing(binary, rekey=True)
    assert isinstance(rekeyed, Outgoing) and rekeyed.key == b"K-7"


@pytest.mark.parametrize(("value", "extra", "why"), [
    (b"not json", [], "value is not valid JSON"),
    (b"[1]", [], "value is not a JSON object"),
    (b'{"type": "ticket.merged", "data": {}}', [], "unknown type 'ticket.merged'"),
    (b'{"type": "ticket.opened", "data": {"ticket_id": ""}}', [],
     "no data.ticket_id to key ticket.opened by"),
    (b'{"type": "cost.recorded", "data": "x"}', [], "no data.source to key cost.recorded by"),
    (b'{"ticket_id": "T"}', [("ce_specversion", b"1.0")], "unknown type None"),
    (None, [], "value is not valid JSON"),
])
def test_what_cannot_be_rekeyed_says_why(value: bytes | None, extra: list[tuple[str, bytes]],
                                          why: str) -> None:
    d = letter(0, "wrong_key", value=value, extra=extra)
    assert entity_key(d) == why
    assert outgoing(d, rekey=True) == f"cannot re-key: {why}"
    assert isinstance(outgoing(d, rekey=False), Outgoing)


def test_no_source_topic_cannot_go_back() -> None:
    assert outgoing(DeadLetter(DLQ, 0, 0, b"k", b"v", []), rekey=False) == \
        "no cxpulse-source-topic header"


def test_json_line_decodes_text_and_base64_the_rest() -> None:
    d = letter(3, "invalid_json", key=None, value=b"\xff\xfe",
               extra=[("bin", b"\x80")])
    assert as_json(d) == {
        "deadletter_partition": 0, "deadletter_offset": 3,
        "source_topic": "p.cx.tickets", "source_partition": 3, "source_offset": 103,
        "reason": "invalid_json", "key": None,
        "headers": [{"name": "traceparent", "value": "00-abc-01"},
                    {"name": "bin", "value_base64": "gA=="},
                    {"name": "cxpulse-source-topic", "value": "p.cx.tickets"},
                    {"name": "cxpulse-source-partition", "value": "3"},
                    {"name": "cxpulse-source-offset", "value": "103"},
                    {"name": "cxpulse-reason", "value": "invalid_json"}],
        "value_base64": "//4=",
    }


def test_summary_counts_kinds_reasons_and_topics() -> None:
    letters = [letter(i, "wrong_key") for i in range(7)]
    letters += [letter(7, "out_of_range:data.amount", topic="p.cx.costs"),
                letter(8, "out_of_range:data.score", topic="p.cx.surveys",
                       extra=[(HEADER_REPUBLISHED_FROM, b"x:0:1")])]
    out = io.StringIO()
    print_summary(DLQ, letters, out)
    assert out.getvalue().splitlines() == [
        "p.cx.deadletter: 9 dead letters",
        "by reason kind:",
        "         7  wrong_key",
        "         2  out_of_range",
        "by reason (first dead-letter partition:offset):",
        "         7  wrong_key  (0:0, 0:1, 0:2, 0:3, 0:4, ...)",
        "         1  out_of_range:data.amount  (0:7)",
        "         1  out_of_range:data.score  (0:8)",
        "by source topic:",
        "         7  p.cx.tickets",
        "         1  p.cx.costs",
        "         1  p.cx.surveys",
        "1 had been re-published before (cxpulse-republished-from): they failed again",
    ]


def test_command_line_mistakes_and_an_unreachable_broker_are_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cxpulse.cli import main

    assert main(["deadletters", "--rekey"]) == 2
    assert capsys.readouterr().err == "cxpulse: --rekey goes with --republish\n"
    monkeypatch.setenv("CXPULSE_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    assert main(["deadletters", "--republish"]) == 2
    assert capsys.readouterr().err == (
        "cxpulse: cannot reach Kafka at CXPULSE_KAFKA_BOOTSTRAP=127.0.0.1:1: start a broker "
        "(cxpulse broker) or fix the address\n")
