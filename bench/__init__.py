"""Benchmarks: ``make bench [BENCH=name]`` or ``python -m bench [NAME ...]``; each prints one JSON line.

:mod:`bench.harness` holds the registry, the gunicorn and load loop; :mod:`bench.api` the API benchmarks
and their limit; :mod:`bench.exchange` the exchange benchmark; :mod:`bench.partners` the loopback partner
servers (webhook receiver, TAXII server) that the exchange tests and the demo partner use as well.
Nothing here imports ``tests``.
"""
