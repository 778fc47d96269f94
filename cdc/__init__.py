"""Capture: the store's binlog -> the local outbox."""
