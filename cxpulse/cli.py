"""``cxpulse`` command line: worker, broker, publish, simulate, demo, deadletters."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import orjson

from cxpulse.broker import BrokerError
from cxpulse.config import ConfigError, Settings, load_settings, parse_duration
from cxpulse.simulate.mixed import MixedTraffic


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _families(text: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = set(chosen) - set(MixedTraffic.FAMILIES)
    if not chosen or unknown:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {','.join(MixedTraffic.FAMILIES)}")
    return chosen


def cmd_worker(settings: Settings, _: argparse.Namespace) -> int:
    from cxpulse.worker import run_worker

    run_worker(settings)
    return 0


def cmd_broker(settings: Settings, args: argparse.Namespace) -> int:
    from cxpulse.broker import run_broker
    from cxpulse.families import broker_topics
    from cxpulse.worker import build_app

    def ready() -> None:
        print(f"broker ready on 127.0.0.1:{args.port}", flush=True)

    # The workers' table changelogs (for CXPULSE_APP_ID), as Faust would declare them.
    # The one-partition team-samples table is left for Faust to create as declared.
    changelogs = [table.changelog_topic.get_topic_name()
                  for table in build_app(settings).tables.values()
                  if table.partitions == settings.partitions]
    sasl = None
    if args.sasl_port is not None:
        user, _, password = (args.sasl_user or "").partition(":")
        if not user or not password:
            raise ConfigError("bad option --sasl-user: expected NAME:PASSWORD with --sasl-port")
        sasl = (args.sasl_port, user, password)
    return run_broker(args.port, Path(args.data_dir), broker_topics(settings.topic_prefix),
                      partitions=settings.partitions, on_ready=ready, compacted=changelogs,
                      sasl=sasl)


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    from cxpulse.publishing import publish_file

    published, skipped = asyncio.run(publish_file(Path(args.file), settings,
                                                  progress=not args.quiet))
    print(f"published {published} events, skipped {skipped} lines", file=sys.stderr)
    return 0


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from cxpulse.publishing import publish_live

    traffic = MixedTraffic(seed=args.seed, tickets_per_hour=args.rate, families=args.families)
    if args.out:
        end = time.time() if args.end is None else args.end
        events = traffic.history(end - args.duration, end)
        with open(args.out, "wb") as fh:
            for event in events:
                fh.write(orjson.dumps(event) + b"\n")
        print(f"wrote {len(events)} events to {args.out}", file=sys.stderr)
        return 0
    asyncio.run(publish_live(traffic, settings, args.duration, backfill=args.backfill,
                             progress=not args.quiet))
    return 0


def cmd_check(_: Settings, args: argparse.Namespace) -> int:
    from cxpulse.check import check_file, print_report

    path = Path(args.file)
    if not path.is_file():
        print(f"cxpulse check: no such file: {path}", file=sys.stderr)
        return 2
    report = check_file(path)
    print_report(path, report)
    return 1 if report.bad_lines else 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from cxpulse.replay import run_replay

    return run_replay(Path(args.file), settings, progress=not args.quiet)


def cmd_deadletters(settings: Settings, args: argparse.Namespace) -> int:
    from cxpulse.deadletters import Options, run

    if not args.republish and args.rekey:
        raise ConfigError("--rekey goes with --republish")
    options = Options(json=args.json, republish=args.republish, reason=args.reason,
                      source_topic=args.source_topic, limit=args.limit, rekey=args.rekey,
                      progress=not args.quiet)
    return asyncio.run(run(settings, options))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from cxpulse.demo import run_demo

    return run_demo(settings, rate=args.rate, backfill=args.backfill, port=args.port,
                    customer_days=args.customer_days)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cxpulse", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("worker", help="run one stream worker (settings from CXPULSE_*)")

    b = sub.add_parser("broker", help="run a local single-node Kafka broker (KRaft)")
    b.add_argument("--port", type=int, default=9092)
    b.add_argument("--data-dir", default="var/broker")
    b.add_argument("--sasl-port", type=int, help="also listen with SASL_PLAINTEXT (PLAIN) here")
    b.add_argument("--sasl-user", help="NAME:PASSWORD of the one SASL user (with --sasl-port)")

    pub = sub.add_parser("publish", help="publish a JSONL file of CloudEvents")
    pub.add_argument("file")
    pub.add_argument("--quiet", action="store_true", help="no progress bar")

    sim = sub.add_parser("simulate", help="simulated traffic of every family, live or to a file")
    sim.add_argument("--rate", type=float, default=600.0,
                     help="tickets per hour, a day's average (600); the other families "
                     "scale with it: 1.5 contacts, 4 sessions, 0.3 surveys per ticket")
    sim.add_argument("--families", type=_families, default=MixedTraffic.FAMILIES,
                     help="comma-separated subset of " + ",".join(MixedTraffic.FAMILIES))
    sim.add_argument("--duration", type=_duration, default=None,
                     help="how long to run (live) or the span to write (--out); e.g. 10m, 6h")
    sim.add_argument("--backfill", type=_duration, default=0.0,
                     help="live: first send this much simulated history at once")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--out", help="write events to this JSONL file instead of Kafka")
    sim.add_argument("--end", type=float, default=None,
                     help="--out: end of the span as Unix seconds (default now)")
    sim.add_argument("--quiet", action="store_true", help="no progress bar")

    rep = sub.add_parser("replay", help="publish a JSONL file to fresh topics, replay it with "
                         "a worker and print a summary of the final metrics")
    rep.add_argument("file")
    rep.add_argument("--quiet", action="store_true", help="no progress bars")

    chk = sub.add_parser("check", help="validate a JSONL file of events against the contract")
    chk.add_argument("file")

    demo = sub.add_parser("demo", help="broker + worker + simulator, metrics URL printed")
    # About 28 events per ticket over all families: 300 tickets/h with 2 h of
    # history is ~17k events, which one worker digests in about a minute.
    demo.add_argument("--rate", type=float, default=300.0)
    demo.add_argument("--backfill", type=_duration, default=2 * 3600.0)
    demo.add_argument("--port", type=int, default=9092, help="local broker port")
    demo.add_argument("--customer-days", type=int, default=35,
                      help="days of customers-only history sent first (35): the 30-day "
                      "retention, churn and revenue retention show at once")

    dl = sub.add_parser("deadletters", help="count the dead letters by reason, print them "
                        "(--json) or re-publish them to their source topics (--republish)")
    dl.add_argument("--json", action="store_true",
                    help="one JSON line per dead letter instead of the summary")
    dl.add_argument("--republish", action="store_true",
                    help="send the chosen ones back to their source topic (original key, "
                    "value and headers, cxpulse-republished-from added)")
    dl.add_argument("--reason", metavar="PREFIX",
                    help="only reasons starting with PREFIX (e.g. wrong_key, out_of_range)")
    dl.add_argument("--source-topic", metavar="T",
                    help="only those from topic T (full name, or default name like cx.tickets)")
    dl.add_argument("--limit", type=_positive, metavar="N",
                    help="at most N (the first, by dead-letter partition and offset)")
    dl.add_argument("--rekey", action="store_true",
                    help="with --republish: key each by its event's entity id; one that "
                    "cannot be re-keyed is reported and skipped")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


COMMANDS = {"worker": cmd_worker, "broker": cmd_broker, "publish": cmd_publish,
            "simulate": cmd_simulate, "check": cmd_check, "replay": cmd_replay,
            "demo": cmd_demo, "deadletters": cmd_deadletters}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in ("publish", "simulate", "replay", "deadletters"):
        # aiokafka logs connection failures itself; these commands say it in one line.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    if args.command == "simulate" and args.out and args.duration is None:
        args.duration = 24 * 3600.0
    try:
        settings = load_settings()
        return COMMANDS[args.command](settings, args)
    except ConfigError as exc:
        print(f"cxpulse: {exc}", file=sys.stderr)
        return 2
    except BrokerError as exc:
        print(f"cxpulse: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
