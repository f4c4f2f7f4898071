from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def staff(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's staff profile (role, unit, store) to every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"staff": None}
    return {"staff": getattr(user, "staff", None)}
