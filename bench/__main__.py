"""``python -m bench [NAME ...]``: run the named benchmarks (all without a name), one JSON line each."""

from __future__ import annotations

import sys

from bench.harness import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
