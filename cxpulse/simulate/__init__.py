"""Realistic traffic of every family for demos, tests and benchmarks (no Kafka here):
one module per family's part, :mod:`cxpulse.simulate.mixed` for all of them."""
