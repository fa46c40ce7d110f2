"""Benchmarks: each module has ``main() -> dict`` and prints one JSON line (``make bench BENCH=name``)."""
