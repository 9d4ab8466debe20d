"""Changelog records applied a fetch at a time during recovery, around Faust's
per-record path.

Faust's recovery receives each changelog record as a message: a conductor callback,
an ``Event`` decoded with the table's codec, a put on a flow-control queue, a get
wrapped in ``asyncio.wait_for`` (a task per record), a check over every changelog
partition of whether recovery is done, a buffer. A restarted worker read about
10,000 records/s that way and was idle half the time (py-spy): a worker holding
10^6 tickets and 10^6 daily users spent most of its 380 s restart there.

The fetch loop (:mod:`streams.batches`) hands a fetch's records of a changelog
partition that Faust's recovery is reading (active or standby) to :func:`restore`,
which does what Faust's loop does with them, in bulk: records at or below the offset
recovery has reached are skipped, the others are applied in order to the table's
store (:meth:`ResumingStore.restore`), and the partition's offset in Faust's
recovery moves to the last one. Faust's recovery itself stays in charge: it
computed the offsets and highwaters, seeks, waits for the end, and runs the
tables' recovery callbacks (which rebuild the families); :func:`end_if_done` ends
it the way its own loop does once every active partition reached its highwater.
"""

from __future__ import annotations

from typing import Any

from aiokafka.structs import ConsumerRecord

from cxpulse.streams.store import ResumingStore


def restore(app: Any, tp: Any, records: list[ConsumerRecord[bytes, bytes]]) -> bool:
    """Apply ``records`` (one fetch of changelog partition ``tp``) if Faust's recovery
    reads ``tp`` into a store that can take them; whether they were taken (if not,
    Faust's own path delivers them)."""
    recovery = app.tables.recovery
    table = recovery.tp_to_table.get(tp)
    if table is None or not isinstance(table.data, ResumingStore) or not _json(table):
        return False
    if tp in recovery.active_tps:
        offsets = recovery.active_offsets
    elif tp in recovery.standby_tps:
        offsets = recovery.standby_offsets
    else:
        return False
    seen = offsets.get(tp)
    newer = records if seen is None else [r for r in records if r.offset > seen]
    if newer:
        table.data.restore(tp, newer)
        offsets[tp] = newer[-1].offset
    return True


def end_if_done(app: Any) -> None:
    """What Faust's recovery loop does after a record: end the recovery once every
    active changelog partition is read to its highwater, and note the standbys ready."""
    recovery = app.tables.recovery
    if recovery.in_recovery and not recovery.need_recovery():
        recovery.flush_buffers()  # records Faust's own path buffered, if any
        recovery._set_recovery_ended()
        recovery.signal_recovery_end.set()
    tables = app.tables
    if (recovery._standbys_span is None and not tables.standbys_ready
            and not recovery.standby_remaining_total()):
        tables.on_standbys_ready()


def _json(table: Any) -> bool:
    """Keys and values as ``json_table_schema`` writes them, no windows."""
    return (table.key_serializer == "json" and table.value_serializer == "json"
            and getattr(table, "window", None) is None)
