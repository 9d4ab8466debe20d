"""Repeat contacts equal the plain reference at the 7-day edges, across a rebuild, and
for a customer with 10^4 contacts (a shared id), with a bounded record."""

from __future__ import annotations

import orjson
import pytest

from cxpulse.config import Settings
from cxpulse.core.repeat_contacts import LOOK_BACK_MARGIN, MAX_ANSWERS, RepeatContacts
from tests.reference.workforce_plain import expected_workforce_metrics
from tests.support.mixed import MixedPipeline
from tests.support.mixed_scenario import closing_events
from tests.support.prom import SampleKey, mismatches
from tests.support.scenario import END, ev

SERIES = ("cx_contacts_repeat", "cx_contact_repeat_ratio", "cx_contacts_answered")
DAY = 86400.0


def only(samples: dict[SampleKey, float], names: tuple[str, ...]) -> dict[SampleKey, float]:
    return {k: v for k, v in samples.items() if k[0] in names}


def contact(cid: str, customer: str, answered: float, channel: str = "phone",
            wait: float = 10.0) -> list[dict]:
    return [ev(f"{cid}q", "contact.queued", answered - wait, contact_id=cid,
               customer_id=customer, channel=channel),
            ev(f"{cid}a", "contact.answered", answered, contact_id=cid, agent_id="A")]


def edges() -> list[dict]:
    """X: exactly 7 days between two answers (a repeat). Y: 7 days and 1 ms (not).
    Z: three answers in a week, the last two on chat. W: one answer, abandoned first."""
    events = [*contact("X1", "X", END - 7 * DAY - 1800), *contact("X2", "X", END - 1800),
              *contact("Y1", "Y", END - 7 * DAY - 2700.001), *contact("Y2", "Y", END - 2700),
              *contact("Z1", "Z", END - 6 * DAY), *contact("Z2", "Z", END - 3 * DAY, "chat"),
              *contact("Z3", "Z", END - 600, "chat"),
              *contact("W1", "W", END - 3 * DAY), *contact("W2", "W", END - 300),
              ev("W1x", "contact.abandoned", END - 3 * DAY - 5, contact_id="W1")]
    return sorted(events, key=lambda e: e["time"]) + CLOSING


CLOSING = [e for e in closing_events(END) if e["type"] == "contact.queued"]
"""A contact queued at END on every partition: the replay "now" ends at END."""


def run(events: list[dict], batch: int, rebuild_at: int | None = None) -> MixedPipeline:
    pipeline = MixedPipeline(Settings(clock="replay"))
    lines = [orjson.dumps(e) for e in events]
    cut = len(lines) if rebuild_at is None else rebuild_at
    assert pipeline.feed(lines[:cut], batch=batch) == []
    if rebuild_at is not None:
        pipeline.rebuild()
        assert pipeline.feed(lines[cut:], batch=batch) == []
    return pipeline


@pytest.mark.parametrize(("batch", "rebuild_at"), [(1, None), (7, None), (1, 12), (7, 19)])
def test_the_seven_day_edges_match_the_reference(batch: int, rebuild_at: int | None) -> None:
    events = edges()
    got = only(run(events, batch, rebuild_at).samples(), SERIES)
    expected = only(expected_workforce_metrics(events, END), SERIES)
    assert not mismatches(got, expected)
    day = (("window", "24h"),)
    assert got[("cx_contacts_repeat", (("channel", "phone"), *day))] == 1  # X2
    assert got[("cx_contacts_repeat", (("channel", "chat"), *day))] == 1  # Z3
    assert got[("cx_contact_repeat_ratio", (("channel", "phone"), *day))] == 1 / 3


def test_a_customer_with_ten_thousand_contacts_keeps_a_bounded_record() -> None:
    """A shared customer id: 10^4 contacts over 10 days, in order; the newest 50 answers
    are kept and the 24 h numbers still equal the reference's."""
    events = []
    for n in range(10_000):
        events += contact(f"H{n}", "SHARED", END - 10 * DAY + n * 86.4 + 1)
    events += contact("other", "O", END - 60) + CLOSING
    pipeline = run(events, batch=500)
    got = only(pipeline.samples(), SERIES)
    expected = only(expected_workforce_metrics(events, END), SERIES)
    assert not mismatches(got, expected)
    record = pipeline.tables["contact-answers"]["SHARED"]
    assert len(record) == 3 + 3 * MAX_ANSWERS
    assert len(record[2]) <= 3 * 26 * 60  # settled repeats: one per minute of 26 h at most
    day = ("cx_contacts_repeat", (("channel", "phone"), ("window", "24h")))
    assert got[day] == expected[day] > 950  # the day's answers, but its first, are repeats


def test_a_customer_silent_for_the_window_and_a_day_is_forgotten() -> None:
    table: dict[str, list] = {}
    repeats = RepeatContacts(table, 7 * DAY)
    repeats.receive("X", 1, END, "phone", 2)
    repeats.receive("X", 2, END + 3600, "phone", 2)  # a repeat, in its bucket
    repeats.receive("Y", 3, END + 2 * DAY, "chat", 2)
    assert repeats.windows(END + 3600)["1h"][("phone",)].sums == [1]
    keep = 7 * DAY + LOOK_BACK_MARGIN
    assert repeats.expire(2, END + 3600 + keep) == 0  # exactly at the edge: still kept
    assert repeats.expire(5, END + 3601 + keep) == 0  # another partition's queue
    assert repeats.expire(2, END + 3601 + keep) == 1 and list(table) == ["Y"]
    hour = repeats.windows(END + 3600)["1h"]
    assert sum(t.sums[0] for t in hour.values()) == 0  # X's repeat went with it


def test_an_answer_taken_back_just_before_a_crash_is_withdrawn_after_the_rebuild() -> None:
    """A crash between a batch's table writes and its answers' send (the answers are
    sent after the changelog flush): the histories hold the batch, the owner never
    heard the news. V2's answer is overtaken by an earlier abandon, and M1 moves to the
    customer an earlier queued event names; the rebuilt family withdraws both."""
    first = [*contact("V1", "V", END - 3600), *contact("V2", "V", END - 1800),
             *contact("M0", "M", END - 2400), *contact("M1", "N", END - 1200)]
    news = [ev("V2x", "contact.abandoned", END - 1805, contact_id="V2"),
            ev("M1q0", "contact.queued", END - 1300, contact_id="M1", customer_id="M",
               channel="phone")]
    pipeline = run(sorted(first, key=lambda e: e["time"]), batch=4)
    contacts = pipeline.contacts
    contacts.begin_batch()
    for event in news:  # applied and written, then the worker dies before the send
        assert contacts.handle(orjson.dumps(event), 0) is None
    contacts.end_batch()
    contacts.outbox.clear()
    pipeline.contact_arithmetic.answers.clear()
    pipeline.rebuild()
    assert pipeline.feed([orjson.dumps(e) for e in CLOSING], batch=4) == []
    events = sorted(first + news, key=lambda e: e["time"]) + CLOSING
    got = only(pipeline.samples(), SERIES)
    assert not mismatches(got, only(expected_workforce_metrics(events, END), SERIES))
    day = (("window", "24h"),)
    assert got[("cx_contacts_repeat", (("channel", "phone"), *day))] == 1  # M1 after M0
    assert set(pipeline.tables["contact-answers"]) == {"V", "M"}
