from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from merchants.admin_base import MerchantScopedAdmin, OperatorOnlyAdminMixin
from merchants.errors import DomainError
from merchants.export_jobs import export_job_open
from merchants.images import validate_image
from merchants.models import (
    ExportJob,
    Membership,
    Merchant,
    OutboxTask,
    StaffInvitation,
    StaffToken,
    TableLocation,
)
from merchants.selectors import staff_invitation_pending_exists
from merchants.services import membership_grant, staff_invitation_create
from merchants.tenancy import roles_by_merchant

User = get_user_model()


def _secret_input(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext("Stored encrypted and never shown. Leave blank to keep the current key."),
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
            "language",
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
            "address",
            "phone",
            "tax_id",
            "logo",
            "receipt_footer",
            "require_open_shift",
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
        if "language" in self.fields:
            self.fields["language"].required = False  # left blank: kept as it is
        for name in self.secret_fields:
            if self.instance.pk and self.instance.secret_is_stored(name) and name in self.fields:
                self.fields[name].help_text = gettext(
                    "A key is stored (encrypted). Type a new one to replace it; "
                    "leave blank to keep it."
                )

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload or not hasattr(upload, "content_type"):
            return upload  # unchanged or cleared
        try:
            info = validate_image(upload, max_bytes=settings.CATALOG_DETAIL_IMAGE_MAX_BYTES)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return info.file  # Pillow's re-encoding, never the upload's bytes

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if name in cleaned and not cleaned[name]:
                # The stored value as it is (even one the keys cannot read: kept, not erased).
                cleaned[name] = self.instance.__dict__.get(name, "") if self.instance.pk else ""
        for name in self.percent_fields:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = getattr(self.instance, name)
        if "language" in cleaned and not cleaned["language"]:
            cleaned["language"] = self.instance.language or "id"
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
        (gettext_lazy("Locale"), {"fields": ("currency", "time_zone", "language")}),
        (
            gettext_lazy("Midtrans"),
            {"fields": ("midtrans_client_key", "midtrans_server_key", "midtrans_is_production")},
        ),
        (gettext_lazy("QRIS"), {"fields": ("qris_gateway", "xendit_secret_key")}),
        (
            gettext_lazy("Sales"),
            {
                "fields": (
                    "prices_include_tax",
                    "default_tax_percent",
                    "default_service_charge_percent",
                    "officer_max_discount_percent",
                    "complete_when_paid",
                    "require_open_shift",
                )
            },
        ),
        (
            gettext_lazy("Receipt and profile"),
            {"fields": ("address", "phone", "tax_id", "logo", "receipt_footer")},
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
    """The operator's way to add a staff member: an existing account by username, or a new one
    with a password. Owners invite by email instead (`StaffInvitationAdmin`): nobody attaches
    another merchant's account without its holder's consent."""

    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "Only for a new account. Leave blank to add an existing account by username."
        ),
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
                self.add_error(
                    "password",
                    gettext("No account '%(username)s' yet: set a password for it.")
                    % {"username": username},
                )
            else:
                try:
                    validate_password(cleaned["password"])
                except forms.ValidationError as error:
                    self.add_error("password", error)
        elif user.is_superuser:
            self.add_error("username", gettext("The platform operator cannot be added as staff."))
        elif (
            cleaned.get("merchant")
            and Membership.objects.filter(user=user, merchant=cleaned["merchant"]).exists()
        ):
            self.add_error(
                "username",
                gettext("%(username)s is already staff here.") % {"username": user.username},
            )
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

    def has_add_permission(self, request, obj=None):
        # Owners add staff by invitation (Staff invitations): the invitee consents.
        return request.user.is_superuser

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


class StaffInvitationForm(forms.ModelForm):
    class Meta:
        model = StaffInvitation
        fields = ("merchant", "email", "role")

    def validate_unique(self):
        pass  # several invitations to one address may exist, one of them pending

    def clean(self):
        cleaned = super().clean()
        merchant, email = cleaned.get("merchant"), cleaned.get("email")
        if merchant and email and staff_invitation_pending_exists(merchant=merchant, email=email):
            self.add_error(
                "email",
                gettext("This address already has a pending invitation here; revoke it first."),
            )
        return cleaned


@admin.register(StaffInvitation)
class StaffInvitationAdmin(MerchantScopedAdmin):
    """Owners invite staff by email; the invitee accepts from the emailed link. The form says
    nothing of accounts on the platform. Deleting a pending invitation revokes it."""

    form = StaffInvitationForm
    view_role = Membership.Role.OWNER
    list_display = ("email", "merchant", "role", "status", "invited_by", "created_at")
    list_filter = ("merchant", "role")
    list_select_related = ("merchant", "invited_by")
    search_fields = ("email",)
    readonly_fields = ("invited_by", "expires_at", "email_sent_at", "accepted_at", "accepted_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("merchant", "email", "role")
        return ("merchant", "email", "role", *self.readonly_fields)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.accepted_at is not None:
            return False  # accepted: change or remove the membership instead
        return super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj) -> str:
        return StaffInvitation.Status(obj.status_at(timezone.now())).label

    def save_model(self, request, obj, form, change):
        form.instance = staff_invitation_create(
            merchant=form.cleaned_data["merchant"],
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
        )


@admin.register(TableLocation)
class TableLocationAdmin(MerchantScopedAdmin):
    list_display = ("number", "name", "merchant", "zone", "capacity", "is_active")
    list_filter = ("merchant", "is_active", "zone")
    list_select_related = ("merchant",)
    list_editable = ("is_active",)
    search_fields = ("number", "name", "zone")
    ordering = ("merchant", "number")


@admin.register(StaffToken)
class StaffTokenAdmin(OperatorOnlyAdminMixin, admin.ModelAdmin):
    """Operator only: see and revoke API tokens. Keys are never shown (only hashes exist)."""

    list_display = ("user", "prefix", "created_at", "last_used_at", "expires_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix")
    readonly_fields = ("user", "prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)


@admin.register(OutboxTask)
class OutboxTaskAdmin(OperatorOnlyAdminMixin, admin.ModelAdmin):
    """Operator only: tasks the broker could not take after their commit, and whether the sweep
    has sent them since. Deleting a pending row means that task is never sent."""

    list_display = ("task_name", "args", "created_at", "attempts", "last_attempt_at", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "task_name")
    list_select_related = ()
    search_fields = ("task_name",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = (
        "task_name",
        "args",
        "kwargs",
        "created_at",
        "attempts",
        "last_error",
        "last_attempt_at",
        "sent_at",
    )


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """CSV exports written in the background: each person sees and downloads their own (the
    operator sees everyone's progress, and downloads only their own too)."""

    list_display = ("__str__", "kind", "status", "progress_display", "created_at", "download")
    list_filter = ("status", "kind")
    list_select_related = ()
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = (
        "kind",
        "merchant",
        "requested_by",
        "filters",
        "status",
        "progress_display",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "download",
    )
    fields = readonly_fields
    change_form_template = "admin/merchants/exportjob/change_form.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("merchant", "requested_by")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(requested_by=request.user)

    def _may_export(self, request) -> bool:
        if request.user.is_superuser:
            return True
        if not (request.user.is_active and request.user.is_staff):
            return False
        return any(
            role >= Membership.Role.OWNER for role in roles_by_merchant(request.user).values()
        )

    def has_module_permission(self, request):
        return self._may_export(request)

    def has_view_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return obj.requested_by_id == request.user.pk
        return self._may_export(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @admin.display(description=gettext_lazy("progress"))
    def progress_display(self, obj: ExportJob) -> str:
        if obj.row_count is None:
            return "counting rows…" if obj.status == ExportJob.Status.RUNNING else "–"
        return f"{obj.progress:,} of {obj.row_count:,} rows ({obj.percent}%)"

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj: ExportJob) -> str:
        if obj.status != ExportJob.Status.DONE:
            return "–"
        url = reverse("admin:merchants_exportjob_download", args=[obj.pk])
        return format_html('<a href="{}">Download {}</a>', url, obj.filename)

    def get_urls(self):
        download = path(
            "<int:pk>/download/",
            self.admin_site.admin_view(self.download_view),
            name="merchants_exportjob_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, pk: int):
        job = ExportJob.objects.filter(pk=pk).first()
        file = export_job_open(job, request.user) if job is not None else None
        if file is None:
            raise Http404("No export of yours is ready under this number.")
        response = FileResponse(
            file, as_attachment=True, filename=job.filename, content_type="text/csv; charset=utf-8"
        )
        response["Cache-Control"] = "no-store"
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        job = ExportJob.objects.filter(pk=object_id).only("status").first() if object_id else None
        context = {"refresh_seconds": 3 if job and not job.is_finished else None}
        return super().changeform_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )
