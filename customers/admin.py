from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from customers.models import Customer, LoginChallenge
from customers.services import customer_revoke_tokens
from merchants.admin_base import MerchantScopedAdmin, Role


@admin.register(Customer)
class CustomerAdmin(MerchantScopedAdmin):
    add_role = Role.OFFICER
    change_role = Role.OFFICER
    list_display = ("email", "name", "phone", "merchant", "is_active", "last_login_at")
    list_filter = ("merchant", "is_active", ("last_login_at", admin.EmptyFieldListFilter))
    list_select_related = ("merchant",)
    search_fields = ("email", "name", "phone")
    # Years and months from the first and last sign-up (customer_merchant_recent).
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True
    # By email within the merchant, from customer_merchant_email; ordering by "merchant" would
    # sort every customer by the merchant's name first.
    ordering = ("email",)
    fields = ("merchant", "email", "name", "phone", "is_active", "last_login_at", "created_at")
    readonly_fields = ("last_login_at", "created_at")
    actions = ("revoke_tokens",)
    show_full_result_count = False

    @admin.action(description=gettext_lazy("Sign out everywhere (revoke all their tokens)"))
    def revoke_tokens(self, request, queryset):
        count = 0
        for customer in queryset:
            customer_revoke_tokens(customer=customer)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%d customer was signed out everywhere.",
                "%d customers were signed out everywhere.",
                count,
            )
            % count,
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(LoginChallenge)
class LoginChallengeAdmin(MerchantScopedAdmin):
    """Read-only trail of sign-in emails, to answer "I never got my code"."""

    list_display = ("email", "kind", "merchant", "created_at", "sent_at", "used_at", "attempts")
    list_filter = ("merchant", "kind", ("used_at", admin.EmptyFieldListFilter))
    list_select_related = ("merchant",)
    search_fields = ("email",)
    # Years and months from the first and last email (challenge_merchant_recent).
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True
    fields = (
        "merchant",
        "email",
        "customer",
        "kind",
        "created_at",
        "expires_at",
        "sent_at",
        "used_at",
        "attempts",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
