"""Benchmarks and evaluations over the sample calls, run as modules from the repository root:
``python -m bench.bench`` (``make bench``), ``python -m bench.eval`` (``make eval``), and each
stage alone (``python -m bench.bench_batch``, ``bench.bench_cluster``, ``bench.bench_metrics``,
``bench.bench_attribution``, ``bench.eval_rules``)."""
