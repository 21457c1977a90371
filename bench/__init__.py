"""Launch Ready's benchmark suite: `python -m bench` runs every benchmark and rewrites BENCHMARKS.md."""
