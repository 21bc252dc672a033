"""On-demand benchmarks (never run by CI as timing assertions). See benchmarks/bench.py."""
