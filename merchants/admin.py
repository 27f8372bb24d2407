from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from merchants.admin_base import MerchantScopedAdmin
from merchants.models import Membership, Merchant, StaffToken, TableLocation
from merchants.services import membership_grant

User = get_user_model()


def _secret_input(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown. Leave blank to keep the current key.",
    )


class MerchantAdminForm(forms.ModelForm):
    # Secret fields render empty; blank keeps what is stored, so the secret never round-trips.
    secret_fields = ("midtrans_server_key", "xendit_secret_key")

    midtrans_server_key = _secret_input("Midtrans server key")
    xendit_secret_key = _secret_input("Xendit secret key")

    class Meta:
        model = Merchant
        fields = (
            "name",
            "slug",
            "business_type",
            "pos_mode",
            "is_active",
            "currency",
            "time_zone",
            "midtrans_client_key",
            "midtrans_server_key",
            "midtrans_is_production",
            "qris_gateway",
            "xendit_secret_key",
            "prices_include_tax",
            "default_tax_percent",
            "default_service_charge_percent",
            "officer_max_discount_percent",
            "complete_when_paid",
        )

    # Percent settings: left blank, they keep what is stored (0 for a new merchant).
    percent_fields = (
        "default_tax_percent",
        "default_service_charge_percent",
        "officer_max_discount_percent",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.percent_fields:
            if name in self.fields:
                self.fields[name].required = False
        for name in self.secret_fields:
            if self.instance.pk and getattr(self.instance, name) and name in self.fields:
                self.fields[name].help_text = (
                    "A key is stored (encrypted). Type a new one to replace it; "
                    "leave blank to keep it."
                )

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if name in cleaned and not cleaned[name]:
                cleaned[name] = getattr(self.instance, name) if self.instance.pk else ""
        for name in self.percent_fields:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        return cleaned


@admin.register(Merchant)
class MerchantAdmin(MerchantScopedAdmin):
    form = MerchantAdminForm
    list_display = ("name", "slug", "business_type", "pos_mode", "currency", "is_active")
    list_filter = ("business_type", "pos_mode", "is_active")
    list_select_related = ()  # nothing to join: a merchant's list columns are its own
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "business_type", "pos_mode", "is_active")}),
        ("Locale", {"fields": ("currency", "time_zone")}),
        (
            "Midtrans",
            {"fields": ("midtrans_client_key", "midtrans_server_key", "midtrans_is_production")},
        ),
        ("QRIS", {"fields": ("qris_gateway", "xendit_secret_key")}),
        (
            "Sales",
            {
                "fields": (
                    "prices_include_tax",
                    "default_tax_percent",
                    "default_service_charge_percent",
                    "officer_max_discount_percent",
                    "complete_when_paid",
                )
            },
        ),
    )

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return ("slug", "is_active")

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if request.user.is_superuser else {}


class StaffMemberForm(forms.ModelForm):
    """Add a staff member: an existing account by username, or a new one with a password."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Only for a new account. Leave blank to add an existing account by username.",
    )

    class Meta:
        model = Membership
        fields = ("merchant", "role")

    def clean(self):
        cleaned = super().clean()
        username = (cleaned.get("username") or "").strip()
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            if not cleaned.get("password"):
                self.add_error("password", f"No account '{username}' yet: set a password for it.")
            else:
                try:
                    validate_password(cleaned["password"])
                except forms.ValidationError as error:
                    self.add_error("password", error)
        elif user.is_superuser:
            self.add_error("username", "The platform operator cannot be added as staff.")
        elif (
            cleaned.get("merchant")
            and Membership.objects.filter(user=user, merchant=cleaned["merchant"]).exists()
        ):
            self.add_error("username", f"{user.username} is already staff here.")
        cleaned["user"] = user
        return cleaned

    def save(self, commit=True):
        data = self.cleaned_data
        user = data["user"]
        if user is None:
            user = User.objects.create_user(
                username=data["username"].strip(), email=data["email"], password=data["password"]
            )
        return membership_grant(user=user, merchant=data["merchant"], role=data["role"])

    def save_m2m(self):
        pass


@admin.register(Membership)
class MembershipAdmin(MerchantScopedAdmin):
    list_display = ("user", "merchant", "role", "created_at")
    list_filter = ("role", "merchant")
    list_select_related = ("user", "merchant")
    search_fields = ("user__username", "user__email", "merchant__name")
    fields = ("user", "merchant", "role")
    readonly_fields = ("user",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = StaffMemberForm
            kwargs["fields"] = ("merchant", "role")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("username", "email", "password", "merchant", "role")
        return self.fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["role", "updated_at"])
        else:
            form.instance = form.save()


@admin.register(TableLocation)
class TableLocationAdmin(MerchantScopedAdmin):
    list_display = ("number", "name", "merchant", "zone", "capacity", "is_active")
    list_filter = ("merchant", "is_active", "zone")
    list_select_related = ("merchant",)
    list_editable = ("is_active",)
    search_fields = ("number", "name", "zone")
    ordering = ("merchant", "number")


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin):
    """Operator only: see and revoke API tokens. Keys are never shown (only hashes exist)."""

    list_display = ("user", "prefix", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix")
    readonly_fields = ("user", "prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
