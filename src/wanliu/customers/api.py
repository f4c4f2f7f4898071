"""Customers API: list/search, the 360 view, and the audited national-ID read."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from wanliu.customers.presenters import customer_360_data
from wanliu.customers.schemas import Customer360Out, CustomerPage, NationalIdOut
from wanliu.customers.selectors import customer_360, customer_get_for, customer_list
from wanliu.customers.services import national_id_reveal

router = Router(tags=["customers"])


class ListParams(Schema):
    q: str = Field(
        "", description="MSISDN / account number prefix, customer number, or name prefix"
    )
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get("", response=CustomerPage, summary="List and search customers in scope")
def customers_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    customers = customer_list(user=request.user, q=params.q)
    page = list(customers[params.offset : params.offset + params.limit])
    return {
        "items": [
            {
                "id": c.pk,
                "customer_no": c.customer_no,
                "name": c.name,
                "national_id_masked": c.national_id_masked,
                "value_tier": c.value_tier,
                "store": c.store.name,
                "joined_on": c.joined_on,
            }
            for c in page
        ],
        "count": customers.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.get("/{customer_id}", response=Customer360Out, summary="The customer 360")
def customers_detail(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """Customer, lines, bundle, tenure, last 3 months of bills, 12 months of usage, contacts,
    churn risk and value, complaints, cancellation requests and proactive-campaign calls."""
    return customer_360_data(customer_360(user=request.user, customer_id=customer_id))


@router.get(
    "/{customer_id}/national-id",
    response=NationalIdOut,
    summary="Read the unmasked national ID (audited)",
)
def customers_national_id(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """Only roles with ``customers.view_national_id``; every read writes an audit row."""
    customer = customer_get_for(user=request.user, customer_id=customer_id)
    try:
        value = national_id_reveal(user=request.user, customer=customer, purpose="api")
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return {"customer_id": customer.pk, "national_id": value}
