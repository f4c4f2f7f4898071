"""What the analytics app does when the data it summarises changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wanliu.customers.signals import data_imported


def _late_import(
    sender: Any, *, kind: str, changed_from: dt.date, actor: Any = None, **_: Any
) -> None:
    from wanliu.analytics.snapshots import snapshots_outdate

    snapshots_outdate(changed_from=changed_from, actor=actor, reason=f"import {kind}")


def connect() -> None:
    data_imported.connect(_late_import, dispatch_uid="analytics.late_import")
