"""Batch intake benchmark: POST /v1/delinquency-batches against a raw COPY + upsert."""
