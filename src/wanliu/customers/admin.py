"""Reference data of the customers app (plans, promotions) is edited here."""

from django.contrib import admin

from wanliu.customers.models import CompetitorPromotion, Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "family",
        "monthly_fee",
        "mobile_lines",
        "broadband_mbps",
        "has_tv",
        "contract_months",
        "on_sale",
    ]
    list_filter = ["family", "on_sale"]
    search_fields = ["code", "name"]


@admin.register(CompetitorPromotion)
class CompetitorPromotionAdmin(admin.ModelAdmin):
    list_display = [
        "competitor",
        "unit",
        "month",
        "promo_monthly",
        "promo_months",
        "regular_monthly",
    ]
    list_filter = ["competitor"]
    raw_id_fields = ["unit"]
