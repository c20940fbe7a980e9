"""Topic names: the public contract between the services."""

CASE_EVENTS = "doorstep.case-events.v1"
CASE_STATUS = "doorstep.case-status.v1"
DLQ_SUFFIX = ".dlq"


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


ALL_TOPICS = (
    CASE_EVENTS,
    CASE_STATUS,
    dead_letter_topic(CASE_EVENTS),
    dead_letter_topic(CASE_STATUS),
)
