"""Operator commands for faults: dead letters (list, replay), the outbox backlog, consumer lag.

Each service's CLI gets them through ``doorstep_shared.cli.run_service_cli``, told which
consumer groups the service runs and which topics each reads.
"""

from doorstep_shared.operations.consumer_groups import ConsumerGroup

__all__ = ["ConsumerGroup"]
