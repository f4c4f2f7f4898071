"""Retention desk pages: the cost comparison, the six-step desk, lists and queues.
Views parse, fetch in scope, call one service, render."""
