"""Run every benchmark and rewrite its section of docs/benchmarks.md (``make bench``)."""
from __future__ import annotations

import sys

from bench import ingest_throughput, risk_cycle, scenario_engine

BENCHMARKS = [ingest_throughput, scenario_engine, risk_cycle]

if __name__ == "__main__":
    for bench in BENCHMARKS:
        sys.argv = [bench.__name__]
        bench.main()
