"""The operator's organisation: regions, units, stores and staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A prefecture-level home region (归属地) of numbers, e.g. 杭州."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("region (归属地)")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class OrgUnit(models.Model):
    """A node of the organisation tree; ``path`` makes subtree scoping one indexed prefix."""

    class Kind(models.TextChoices):
        CITY_COMPANY = "city_company", _("city company (市公司)")
        BRANCH = "branch", _("branch / centre (分局/中心, level 4)")
        GRID = "grid", _("grid (网格, level 5)")
        HOTLINE_CENTRE = "hotline_centre", _("hotline centre (客服中心)")
        SERVICE_DEPARTMENT = "service_department", _("customer-service department (客户服务部)")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)

    class Meta:
        verbose_name = _("organisation unit (组织单元)")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> int:
        return {"city_company": 3, "branch": 4, "grid": 5}.get(self.kind, 3)


class Store(models.Model):
    """A store (营业厅). Only direct-operated stores may complete a cancellation."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="stores"
    )
    direct_operated = models.BooleanField(_("direct-operated (直营厅)"), default=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("store (营业厅)")
        verbose_name_plural = _("stores")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", _("store clerk (营业员)")
    GRID_LEAD = "grid_lead", _("grid lead (网格长)")
    BRANCH_MANAGER = "branch_manager", _("branch manager (分局经理)")
    HOTLINE_AGENT = "hotline_agent", _("hotline agent (客服代表)")
    SERVICE_SUPERVISOR = "service_supervisor", _("service supervisor (客服部督导)")
    ANALYST = "analyst", _("analyst (分析员)")
    WORKFORCE_PLANNER = "workforce_planner", _("workforce planner (排班员)")
    ADMIN = "admin", _("administrator (管理员)")


class Staff(models.Model):
    """A person of the operator, linked to a login, with one role in one unit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="staff"
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class Meta:
        verbose_name = _("staff member (员工)")
        verbose_name_plural = _("staff")
        ordering = ["employee_no"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"
