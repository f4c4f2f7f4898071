"""Retention API, mounted at /api/v1/retention/: the cost comparison, cancellation requests
and their six steps, the offer ladder and approvals, contacts and win-back, the case
library and supervision."""

from ninja import Router

from wanliu.retention.api import care, cases, compare, offers, requests

router = Router(tags=["retention"])
for module in (compare, requests, offers, care, cases):
    router.add_router("", module.router)

__all__ = ["router"]
