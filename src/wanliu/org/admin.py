from django.contrib import admin

from wanliu.org.models import OrgUnit, Region, Staff, Store


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "region", "path"]
    list_filter = ["kind", "region"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        if obj.path != path:
            obj.path = path
            obj.save(update_fields=["path"])


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "direct_operated"]
    list_filter = ["direct_operated"]
    search_fields = ["code", "name"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["employee_no", "name", "role", "unit", "store", "language"]
    list_filter = ["role"]
    search_fields = ["employee_no", "name", "user__username"]
    raw_id_fields = ["user", "unit", "store"]
