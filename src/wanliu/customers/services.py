"""Writes and audited reads of customer data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from wanliu.core.services import audit_record
from wanliu.customers.models import Customer


def national_id_can_reveal(*, user: Any) -> bool:
    return bool(user.has_perm("customers.view_national_id"))


@transaction.atomic
def national_id_reveal(*, user: Any, customer: Customer, purpose: str = "") -> str:
    """Return the unmasked national ID, and write the audit row that says who read it."""
    if not national_id_can_reveal(user=user):
        raise PermissionDenied("your role may not see unmasked national ID numbers")
    audit_record(
        actor=user, action="customer.national_id.read", obj=customer, note=purpose or "360 view"
    )
    return customer.national_id
