"""Complaints API (/api/v1/complaints/): work orders and everything done to them.

Out-of-scope orders answer 404; orders in scope that the caller may not work on (not the
owner side) answer 403; illegal state moves answer 409 with the allowed moves.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from wanliu.complaints import selectors
from wanliu.complaints.api_support import (
    category_by_code,
    ensure,
    get_object_or_404,
    get_or_400,
    service_errors,
)
from wanliu.complaints.api_work import router as work_router
from wanliu.complaints.models import Attachment, Category
from wanliu.complaints.permissions import can_act_as_owner
from wanliu.complaints.presenters import order_detail, order_item
from wanliu.complaints.schemas import (
    AssignIn,
    AttachmentOut,
    CannedReplyOut,
    ErrorOut,
    MergeIn,
    MessageIn,
    MessageOut,
    OrderDetail,
    OrderIn,
    OrderPage,
    OrderUpdateIn,
    ReopenIn,
    TransitionIn,
)
from wanliu.complaints.services.orders import (
    work_order_assign,
    work_order_attachment_add,
    work_order_create,
    work_order_merge,
    work_order_message_add,
    work_order_reopen,
    work_order_update,
)
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.customers.models import Contact, Line
from wanliu.customers.selectors import customer_get_for
from wanliu.org.models import Staff

router = Router(tags=["complaints"])
router.add_router("", work_router)
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
NOT_OWNER = gettext_lazy("Only the owner unit of this order may do this.")


class ListParams(Schema):
    q: str = Field("", description="full-text search: number, subject, text, customer, notes")
    status: str = Field("", description="a status, or 'open'")
    queue: str = Field("", pattern="^(|mine|team|tasks)$")
    overdue: bool = False
    customer_id: int | None = None
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    parent: str | None


def _detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return order_detail(selectors.work_order_get_for(request.user, order_id))


@router.get("/categories", response=list[CategoryOut], summary="The complaint category tree")
def categories_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "name_en": c.name_en,
            "parent": c.parent.code if c.parent else None,
        }
        for c in Category.objects.filter(active=True).select_related("parent")
    ]


@router.post("/orders", response={201: OrderDetail, **ERRORS}, summary="Register a complaint")
def orders_create(request: HttpRequest, payload: OrderIn) -> Any:
    """The caller's unit (store for a clerk) owns the order from now to closure. The
    customer must be in the caller's scope. The customer is told the committed deadline."""
    with service_errors():
        customer = customer_get_for(user=request.user, customer_id=payload.customer_id)
        line = None
        if payload.line_id is not None:
            line = get_or_400(
                Line, _("Unknown line."), pk=payload.line_id, account__customer=customer
            )
        contact = None
        if payload.contact_id is not None:
            contact = get_or_400(
                Contact, _("Unknown contact."), pk=payload.contact_id, customer=customer
            )
        order = work_order_create(
            actor=request.user,
            customer=customer,
            channel=payload.channel,
            category=category_by_code(payload.category),
            title=payload.title,
            description=payload.description,
            priority=payload.priority,
            line=line,
            source_contact=contact,
            contact_phone=payload.contact_phone,
            contact_email=payload.contact_email,
            notice_language=payload.notice_language,
            received_at=payload.received_at,
        )
        return Status(201, _detail(request, order.pk))


@router.get("/orders", response=OrderPage, summary="List and search orders in scope")
def orders_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    """Overdue first, then by the nearest resolution due time."""
    orders = selectors.work_order_list(
        user=request.user,
        q=params.q,
        status=params.status,
        queue=params.queue,
        overdue=params.overdue,
        customer_id=params.customer_id,
    )
    now = timezone.now()
    page = orders[params.offset : params.offset + params.limit]
    return {
        "items": [order_item(o, now) for o in page],
        "count": orders.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.get("/orders/{order_id}", response=OrderDetail, summary="One order with its history")
def orders_detail(request: HttpRequest, order_id: int) -> dict[str, Any]:
    return _detail(request, order_id)


@router.patch(
    "/orders/{order_id}",
    response={200: OrderDetail, **ERRORS},
    summary="Change priority or category",
)
def orders_update(request: HttpRequest, order_id: int, payload: OrderUpdateIn) -> dict[str, Any]:
    """The SLA policy and every due time are recomputed."""
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(request.user, can_act_as_owner(request.user, order), NOT_OWNER)
        category = category_by_code(payload.category) if payload.category else None
        work_order_update(
            order=order, actor=request.user, priority=payload.priority, category=category
        )
        return _detail(request, order_id)


@router.post(
    "/orders/{order_id}/transition",
    response={200: OrderDetail, **ERRORS},
    summary="Move the order to another status",
)
def orders_transition(request: HttpRequest, order_id: int, payload: TransitionIn) -> dict[str, Any]:
    """new → assigned → in_progress ⇄ waiting_customer → resolved → closed, and reopened.
    Resolving needs ``resolution``; reopening needs ``note``. Illegal moves answer 409."""
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(request.user, can_act_as_owner(request.user, order), NOT_OWNER)
        work_order_transition(
            order=order,
            to_status=payload.to_status,
            actor=request.user,
            note=payload.note,
            resolution=payload.resolution,
        )
        return _detail(request, order_id)


@router.post(
    "/orders/{order_id}/assign",
    response={200: OrderDetail, **ERRORS},
    summary="Give the order to a person of the owner unit",
)
def orders_assign(request: HttpRequest, order_id: int, payload: AssignIn) -> dict[str, Any]:
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(request.user, can_act_as_owner(request.user, order), NOT_OWNER)
        staff = get_or_400(Staff, _("Unknown staff member."), pk=payload.staff_id)
        work_order_assign(order=order, staff=staff, actor=request.user)
        return _detail(request, order_id)


@router.post(
    "/orders/{order_id}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Add a note or a message to the customer",
)
def orders_message(request: HttpRequest, order_id: int, payload: MessageIn) -> Any:
    """``note``: internal only. ``to_customer``: sent to the customer as a progress notice
    (and counts as the first response). ``from_customer``: what the customer said."""
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(request.user, can_act_as_owner(request.user, order), NOT_OWNER)
        message = work_order_message_add(
            order=order, kind=payload.kind, body=payload.body, actor=request.user
        )
        staff = getattr(request.user, "staff", None)
        return Status(
            201,
            {
                "id": message.pk,
                "kind": message.kind,
                "body": message.body,
                "author": staff.name if staff else request.user.get_username(),
                "created_at": message.created_at,
            },
        )


@router.post(
    "/orders/{order_id}/attachments",
    response={201: AttachmentOut, **ERRORS},
    summary="Attach a file",
)
def orders_attachment(request: HttpRequest, order_id: int, file: File[UploadedFile]) -> Any:
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(request.user, can_act_as_owner(request.user, order), NOT_OWNER)
        attachment = work_order_attachment_add(order=order, upload=file, actor=request.user)
        return Status(
            201,
            {
                "id": attachment.pk,
                "name": attachment.name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "uploaded_at": attachment.uploaded_at,
                "url": reverse(
                    "api:complaints_attachment_download", args=[order.pk, attachment.pk]
                ),
            },
        )


@router.get(
    "/orders/{order_id}/attachments/{attachment_id}",
    summary="Download an attachment",
    url_name="complaints_attachment_download",
    response={200: None, 404: ErrorOut},
)
def orders_attachment_download(
    request: HttpRequest, order_id: int, attachment_id: int
) -> FileResponse:
    order = selectors.work_order_get_for(request.user, order_id)
    attachment = get_object_or_404(Attachment, pk=attachment_id, order=order)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


@router.post(
    "/orders/{order_id}/merge",
    response={200: OrderDetail, **ERRORS},
    summary="Merge this duplicate into another order",
)
def orders_merge(request: HttpRequest, order_id: int, payload: MergeIn) -> dict[str, Any]:
    """This order ends as ``merged``; open tasks move to the order it is merged into."""
    with service_errors():
        duplicate = selectors.work_order_get_for(request.user, order_id)
        into = selectors.work_order_get_for(request.user, payload.into_order_id)
        ensure(request.user, can_act_as_owner(request.user, duplicate), NOT_OWNER)
        ensure(request.user, can_act_as_owner(request.user, into), NOT_OWNER)
        work_order_merge(duplicate=duplicate, into=into, actor=request.user)
        return _detail(request, into.pk)


@router.post(
    "/orders/{order_id}/reopen",
    response={200: OrderDetail, **ERRORS},
    summary="Reopen a resolved or closed order",
)
def orders_reopen(request: HttpRequest, order_id: int, payload: ReopenIn) -> dict[str, Any]:
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(request.user, can_act_as_owner(request.user, order), NOT_OWNER)
        work_order_reopen(order=order, reason=payload.reason, actor=request.user)
        return _detail(request, order_id)


@router.get(
    "/orders/{order_id}/canned-replies",
    response=list[CannedReplyOut],
    summary="Canned replies filled in for this order",
)
def orders_canned_replies(request: HttpRequest, order_id: int) -> list[dict[str, Any]]:
    order = selectors.work_order_get_for(request.user, order_id)
    return selectors.canned_replies_for(order=order, actor=request.user)
