"""The organisation in the admin. Saving goes through ``wanliu.org.services``: a moved unit
takes its subtree's paths with it, a new role changes the login's group, and every change
writes an audit row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext as _

from wanliu.org.models import OrgUnit, Region, Staff, Store
from wanliu.org.services import (
    org_unit_create,
    org_unit_move,
    org_unit_update,
    staff_profile_create,
    staff_role_problem,
    staff_update,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name"]


class OrgUnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "kind", "parent", "region"]

    def clean_parent(self) -> OrgUnit | None:
        parent: OrgUnit | None = self.cleaned_data.get("parent")
        unit = self.instance
        if parent is not None and unit.pk is not None and parent.path.startswith(unit.path):
            raise forms.ValidationError(
                _("A unit cannot move under itself or one of its own units.")
            )
        return parent


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    form = OrgUnitForm
    list_display = ["name", "kind", "parent", "region", "path"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        if not change:
            created = org_unit_create(
                name=obj.name,
                kind=obj.kind,
                region=obj.region,
                parent=obj.parent,
                actor=request.user,
            )
            obj.pk, obj.path = created.pk, created.path
            obj._state.adding = False
            return
        unit = OrgUnit.objects.get(pk=obj.pk)
        org_unit_update(
            unit=unit, name=obj.name, kind=obj.kind, region=obj.region, actor=request.user
        )
        if unit.parent_id != obj.parent_id:
            unit = org_unit_move(unit=unit, parent=obj.parent, actor=request.user)
        obj.path = unit.path


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "direct_operated"]
    list_filter = ["direct_operated"]
    search_fields = ["code", "name"]


class StaffForm(forms.ModelForm):
    class Meta:
        model = Staff
        fields = ["user", "employee_no", "name", "role", "unit", "store", "language"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        role = cleaned.get("role")  # an unknown role is already an error of the field
        if role:
            problem = staff_role_problem(role=role, store=cleaned.get("store"))
            if problem:
                self.add_error("store", problem)
        return cleaned


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    form = StaffForm
    list_display = ["employee_no", "name", "role", "unit", "store", "language"]
    list_filter = ["role"]
    search_fields = ["employee_no", "name", "user__username"]
    raw_id_fields = ["user", "unit", "store"]

    def get_readonly_fields(self, request: HttpRequest, obj: Staff | None = None) -> list[str]:
        return ["user"] if obj is not None else []  # a profile keeps its login

    def save_model(self, request: HttpRequest, obj: Staff, form: Any, change: bool) -> None:
        if not change:
            created = staff_profile_create(
                user=obj.user,
                name=obj.name,
                role=obj.role,
                unit=obj.unit,
                employee_no=obj.employee_no,
                store=obj.store,
                language=obj.language,
                actor=request.user,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        staff_update(
            staff=Staff.objects.select_related("user").get(pk=obj.pk),
            role=obj.role,
            name=obj.name,
            employee_no=obj.employee_no,
            unit=obj.unit,
            store=obj.store,
            language=obj.language,
            actor=request.user,
        )


User = get_user_model()


class LoginAdmin(UserAdmin):
    """Logins in the admin. What a login may do follows its staff record's role (audited,
    through ``staff_role_change``): its groups, permissions and superuser or admin-site
    status are shown here but changed only by changing the role on the staff record."""

    ROLE_DERIVED = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += [f for f in self.ROLE_DERIVED if f not in fields]
            fields += ["last_login", "date_joined"]
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        note = _(
            "Follows the role on the staff record: change the role there (Organisation › "
            "Staff), which is audited."
        )
        return [
            (name, {**options, "description": note})
            if "groups" in options.get("fields", ())
            else (name, options)
            for name, options in fieldsets
        ]


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, LoginAdmin)
