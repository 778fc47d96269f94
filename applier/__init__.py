"""Shipping: the local outbox -> head office, in whole-transaction batches."""
