"""Kafka machinery: producer, topic set-up, transactional outbox, inbox guard, consumer loop."""
