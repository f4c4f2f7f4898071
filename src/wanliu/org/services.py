"""Writes to the organisation: units, stores and staff."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.org.models import OrgUnit, Region, Role, Staff, Store

PATH_MAX_LENGTH = OrgUnit._meta.get_field("path").max_length or 255


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


def _unit_path(unit: OrgUnit, parent: OrgUnit | None) -> str:
    return f"{parent.path if parent else '/'}{unit.pk}/"


@transaction.atomic
def org_unit_move(*, unit: OrgUnit, parent: OrgUnit | None, actor: Any) -> OrgUnit:
    """Put the unit (with its whole subtree) under ``parent`` (``None``: a top unit).

    Every path of the subtree is rewritten in this transaction, so scoping by path prefix
    follows the move at once. A unit cannot move under itself or one of its own units.
    """
    locked = list(
        OrgUnit.objects.select_for_update().filter(path__startswith=unit.path).order_by("path")
    )
    unit = next(u for u in locked if u.pk == unit.pk)
    if parent is not None:
        parent = OrgUnit.objects.get(pk=parent.pk)
        if parent.path.startswith(unit.path):
            raise ValidationError(
                _("%(unit)s cannot move under itself or one of its own units (%(parent)s).")
                % {"unit": unit.name, "parent": parent.name}
            )
    old_parent_id, old_path = unit.parent_id, unit.path
    new_path = _unit_path(unit, parent)
    longest = max(len(u.path) for u in locked) - len(old_path) + len(new_path)
    if longest > PATH_MAX_LENGTH:
        raise ValidationError(
            _("The organisation tree would be too deep under %(parent)s.")
            % {"parent": parent.name if parent else "/"}
        )
    moved = 0
    if new_path != old_path:
        moved = OrgUnit.objects.filter(pk__in=[u.pk for u in locked]).update(
            path=Concat(
                models.Value(new_path),
                Substr("path", len(old_path) + 1),
                output_field=models.CharField(),
            )
        )
    unit.parent = parent
    unit.path = new_path
    unit.save(update_fields=["parent"])
    audit_record(
        actor=actor,
        action="org_unit.move",
        obj=unit,
        before={"parent": old_parent_id, "path": old_path},
        after={"parent": unit.parent_id, "path": new_path, "units_moved": moved},
    )
    return unit


@transaction.atomic
def org_unit_update(*, unit: OrgUnit, name: str, kind: str, region: Region, actor: Any) -> OrgUnit:
    """Change a unit's name, kind or region (moving it is ``org_unit_move``)."""
    if kind not in OrgUnit.Kind.values:
        raise ValidationError(_("Unknown unit kind %(kind)s.") % {"kind": kind})
    before = {"name": unit.name, "kind": unit.kind, "region": unit.region_id}
    unit.name, unit.kind, unit.region = name, kind, region
    after = {"name": name, "kind": kind, "region": region.pk}
    if after != before:
        unit.save(update_fields=["name", "kind", "region"])
        audit_record(actor=actor, action="org_unit.update", obj=unit, before=before, after=after)
    return unit


def staff_role_problem(*, role: str, store: Store | None) -> str:
    """Why this role cannot be held with this store, or "" when it can."""
    if role not in Role.values:
        return _("Unknown role %(role)s; one of %(roles)s.") % {
            "role": role,
            "roles": ", ".join(Role.values),
        }
    if role == Role.CLERK and store is None:
        return _("A clerk works in a store: choose the store.")
    return ""


def _role_groups_sync(user: Any, role: str) -> None:
    """The login is in its role's group and in no other role's group; administrators are
    Django superusers (and may use the admin), nobody else is."""
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*role_groups.exclude(name=role))
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    is_admin = role == Role.ADMIN
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])


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
    problem = staff_role_problem(role=role, store=store)
    if problem:
        raise ValueError(problem)
    user_model = get_user_model()
    user = user_model.objects.create_user(username=username, password=password)
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return staff_profile_create(
        user=user,
        name=name,
        role=role,
        unit=unit,
        store=store,
        employee_no=employee_no,
        language=language,
        actor=actor,
    )


@transaction.atomic
def staff_profile_create(
    *,
    user: Any,
    name: str,
    role: str,
    unit: OrgUnit,
    employee_no: str,
    store: Store | None = None,
    language: str = "zh-hans",
    actor: Any = None,
) -> Staff:
    """Give an existing login its staff profile, and its role's group (only that one)."""
    problem = staff_role_problem(role=role, store=store)
    if problem:
        raise ValueError(problem)
    _role_groups_sync(user, role)
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
def staff_update(
    *,
    staff: Staff,
    role: str,
    name: str,
    employee_no: str,
    unit: OrgUnit,
    store: Store | None,
    language: str,
    actor: Any,
) -> Staff:
    """Set a staff member's role, name, number, unit, store and language at once.

    A new role moves the login from the old role's group to the new one (what a role may
    do is read from its group's permissions), audited as ``staff.role``; the other
    changes, which change what the person sees, are audited as ``staff.update``.
    """
    problem = staff_role_problem(role=role, store=store)
    if problem:
        raise ValueError(problem)
    current = Staff.objects.select_for_update().get(pk=staff.pk)
    before = {
        "role": current.role,
        "name": current.name,
        "employee_no": current.employee_no,
        "unit": current.unit_id,
        "store": current.store_id,
        "language": current.language,
    }
    after = {
        "role": role,
        "name": name,
        "employee_no": employee_no,
        "unit": unit.pk,
        "store": store.pk if store is not None else None,
        "language": language,
    }
    staff.role, staff.name, staff.employee_no = role, name, employee_no
    staff.unit, staff.store, staff.language = unit, store, language
    changed = [field for field in before if before[field] != after[field]]
    if changed:
        staff.save(update_fields=changed)
    _role_groups_sync(staff.user, role)
    if "role" in changed:
        audit_record(
            actor=actor,
            action="staff.role",
            obj=staff,
            before={"role": before["role"]},
            after={"role": role},
        )
    others = [field for field in changed if field != "role"]
    if others:
        audit_record(
            actor=actor,
            action="staff.update",
            obj=staff,
            before={field: before[field] for field in others},
            after={field: after[field] for field in others},
        )
    return staff


def staff_role_change(*, staff: Staff, role: str, actor: Any) -> Staff:
    """Give the staff member another role (and the login that role's group only)."""
    current = Staff.objects.select_related("unit", "store").get(pk=staff.pk)
    return staff_update(
        staff=staff,
        role=role,
        name=current.name,
        employee_no=current.employee_no,
        unit=current.unit,
        store=current.store,
        language=current.language,
        actor=actor,
    )


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
