"""The pipeline and memory benchmark: overdue accounts through all three services on PostgreSQL
and the local broker (``python -m benchmarks.pipeline.run``)."""
