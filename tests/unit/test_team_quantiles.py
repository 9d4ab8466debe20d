"""The owning worker's team sketches: replacement semantics make repeats harmless."""

from __future__ import annotations

from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.windows import bucket

NOW = 1_795_340_000.0
B = bucket(NOW)


def _count(team: TeamQuantiles, family: str, labels: tuple[str, ...], index: int = 0) -> int:
    totals = team.windows(family, NOW)["1h"].get(labels)
    return totals.sketches[index].count if totals is not None else 0


def test_a_repeated_or_redelivered_message_changes_nothing() -> None:
    team = TeamQuantiles({})
    samples = [[B, ["chat"], 0, 12.0]]
    team.receive("contacts", "c1", samples)
    team.receive("contacts", "c1", samples)
    assert _count(team, "contacts", ("chat",)) == 1


def test_a_message_replaces_the_entity_and_an_empty_one_forgets_it() -> None:
    table: dict[str, object] = {}
    team = TeamQuantiles(table)
    team.receive("tickets", "t1", [[B, ["email", "high"], 0, 60.0]])
    team.receive("tickets", "t1", [[B, ["email", "high"], 0, 60.0],
                                   [B - 1, ["email", "high"], 1, 900.0]])
    assert _count(team, "tickets", ("email", "high"), 0) == 1
    assert _count(team, "tickets", ("email", "high"), 1) == 1
    team.receive("tickets", "t1", [])
    assert _count(team, "tickets", ("email", "high"), 0) == 0
    assert table == {}


def test_rebuilt_from_its_table_the_owner_has_the_same_sketches() -> None:
    table: dict[str, object] = {}
    team = TeamQuantiles(table)
    for n in range(50):
        team.receive("sessions", f"s{n}", [[B - n % 7, ["paid"], 0, float(n)]])
    again = TeamQuantiles(table)
    again.rebuild()
    for window in ("5m", "1h", "24h"):
        mine = team.windows("sessions", NOW)[window][("paid",)].sketches[0]
        theirs = again.windows("sessions", NOW)[window][("paid",)].sketches[0]
        assert (mine.count, mine.total, mine.quantiles((0.5, 0.9))) == (
            theirs.count, theirs.total, theirs.quantiles((0.5, 0.9)))
