"""Event envelope (CloudEvents 1.0, Kafka binary mode) and the versioned event contracts."""
