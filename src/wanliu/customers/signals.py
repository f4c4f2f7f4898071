"""Signals of the customers app, for the apps that build on its data."""

from __future__ import annotations

from django.dispatch import Signal

# Sent when an import has committed new or changed rows: ``kind`` (customers, lines, bills,
# usage, contacts), ``changed_from`` (the earliest day a changed row is of; date.min when a
# change may touch every month) and ``actor``. Receivers run inside the import's transaction.
data_imported = Signal()
