"""Benchmarks of cxpulse against a plain-consumer baseline (``python -m bench``)."""
