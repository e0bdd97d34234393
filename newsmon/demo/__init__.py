"""The product offline: local copies of the three sites with bundled articles, and a sample week.

Used by `newsmon demo`, the test suite and the benchmarks; nothing below the shell imports it.
"""
