"""Shared pieces of the retention API: service errors as HTTP statuses, lookups."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import HttpError

from wanliu.org.models import Store
from wanliu.retention.comparison import ComparisonError
from wanliu.retention.models import RetentionOffer
from wanliu.retention.schemas.desk import RetentionErrorOut
from wanliu.retention.services.errors import RetentionError

F = TypeVar("F", bound=Callable[..., Any])

ERRORS: dict[int, type[Schema]] = {
    400: RetentionErrorOut,
    403: RetentionErrorOut,
    404: RetentionErrorOut,
    409: RetentionErrorOut,
}


def service_errors(view: F) -> F:
    """Refusals of the services become 400, 403 or 409 with the service's message."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except RetentionError as exc:
            raise HttpError(exc.http_status, exc.message) from exc
        except ComparisonError as exc:
            raise HttpError(400, str(exc)) from exc
        except DjangoValidationError as exc:
            raise HttpError(400, "; ".join(exc.messages)) from exc

    return wrapper  # type: ignore[return-value]


def offer_by_code(code: str) -> RetentionOffer:
    offer = RetentionOffer.objects.filter(code=code).first()
    if offer is None:
        raise HttpError(400, _("offer_code: no offer has the code %(code)s.") % {"code": code})
    return offer


def store_by_id(store_id: int) -> Store:
    store = Store.objects.select_related("unit").filter(pk=store_id).first()
    if store is None:
        raise HttpError(400, _("store_id: no store %(id)s.") % {"id": store_id})
    return store
