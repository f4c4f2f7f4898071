"""Writes to the organisation: units, stores and staff."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from wanliu.core.services import audit_record
from wanliu.org.models import OrgUnit, Region, Role, Staff, Store


@transaction.atomic
def org_unit_create(
    *, name: str, kind: str, region: Region, parent: OrgUnit | None = None, actor: Any = None
) -> OrgUnit:
    unit = OrgUnit.objects.create(name=name, kind=kind, region=region, parent=parent, path="")
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(
        actor=actor, action="org_unit.create", obj=unit, after={"name": name, "kind": kind}
    )
    return unit


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str | None,
    name: str,
    role: str,
    unit: OrgUnit,
    employee_no: str,
    store: Store | None = None,
    language: str = "zh-hans",
    actor: Any = None,
) -> Staff:
    """Create a login and its staff profile, and put the login in the role's group."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(Role.values)}")
    if role == Role.CLERK and store is None:
        raise ValueError("a clerk works in a store: give store")
    user_model = get_user_model()
    user = user_model.objects.create_user(username=username, password=password)
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if role == Role.ADMIN:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    staff = Staff.objects.create(
        user=user,
        name=name,
        role=role,
        unit=unit,
        store=store,
        employee_no=employee_no,
        language=language,
    )
    audit_record(
        actor=actor, action="staff.create", obj=staff, after={"role": role, "unit": unit.pk}
    )
    return staff


@transaction.atomic
def staff_language_set(*, staff: Staff, language: str) -> Staff:
    before = staff.language
    staff.language = language
    staff.save(update_fields=["language"])
    audit_record(
        actor=staff.user,
        action="staff.language",
        obj=staff,
        before={"language": before},
        after={"language": language},
    )
    return staff
