"""Admin for kiosks: locations (keys shown once), packages (quota), sessions (read-only money,
exported to CSV)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import BooleanField, Case, Value, When
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from merchants.actors import Actor
from merchants.admin_base import (
    MerchantScopedAdmin,
    MerchantScopedTabularInline,
    ReadOnlyPermissionsMixin,
    Role,
)
from merchants.admin_display import money, short_time
from merchants.errors import DomainError
from merchants.exports import Column, CsvExportMixin
from payments.models import Payment
from photobox import photos, services
from photobox.models import KioskLocation, KioskPrice, Photo, PhotoSession
from photobox.reports import COUNTS_AS_TAKINGS, session_refunds
from photobox.selectors import gallery_url, photo_count, photo_urls


def _keys_page(request, admin_site, rows, *, title: str) -> TemplateResponse:
    """The one place a new key is ever shown: rendered now, stored nowhere, never cached."""
    response = TemplateResponse(
        request,
        "admin/photobox/kiosk_keys.html",
        {
            **admin_site.each_context(request),
            "title": title,
            "rows": rows,
            "opts": KioskLocation._meta,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


class GuardedRowAdmin(MerchantScopedAdmin):
    """On an existing row, a field its model's plain save() refuses (the merchant) is shown, not
    offered for editing: saving the form would be refused (see `GuardedSaveMixin`)."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            allowed = set(self.model.saved_by_plain_save)
            fields = self.get_fields(request, obj)
            readonly += [name for name in fields if name not in allowed and name not in readonly]
        return readonly


@admin.register(KioskLocation)
class KioskLocationAdmin(GuardedRowAdmin):
    list_display = ("machine_code", "name", "merchant", "is_active", "key_prefix", "key_rotated_at")
    list_filter = ("merchant", "is_active")
    list_select_related = ("merchant",)
    search_fields = ("machine_code", "name", "address")
    ordering = ("merchant", "machine_code")
    fields = (
        "merchant",
        "machine_code",
        "name",
        "address",
        "is_active",
        "key_prefix",
        "key_rotated_at",
    )
    readonly_fields = ("key_prefix", "key_rotated_at")
    actions = ("rotate_keys",)

    def save_model(self, request, obj, form, change):
        if not change:
            # A new location gets its key here; response_add shows it once.
            request._new_kiosk_keys = [(obj, services.kiosk_location_assign_key(location=obj))]
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        rows = getattr(request, "_new_kiosk_keys", None)
        if rows:
            return _keys_page(request, self.admin_site, rows, title="Kiosk created: its key")
        return super().response_add(request, obj, post_url_continue)

    @admin.action(
        description=gettext_lazy("Rotate the kiosk key (shows the new key once)"),
        permissions=["change"],
    )
    def rotate_keys(self, request, queryset):
        locations = [loc for loc in queryset if self._has_role(request, Role.OWNER, loc)]
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/photobox/rotate_keys_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Rotate kiosk keys?",
                    "locations": locations,
                    "opts": self.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        rows = [
            (location, services.kiosk_location_rotate_key(location=location))
            for location in locations
        ]
        return _keys_page(request, self.admin_site, rows, title="New kiosk keys")


@admin.register(KioskPrice)
class KioskPriceAdmin(GuardedRowAdmin):
    list_display = (
        "description",
        "merchant",
        "location",
        "amount",
        "quota",
        "quota_used",
        "quota_left",
        "is_active",
    )
    list_filter = ("merchant", "location", "is_active")
    list_select_related = ("merchant", "location")
    search_fields = ("description",)
    ordering = ("merchant", "sort_order", "amount")
    fields = (
        "merchant",
        "location",
        "description",
        "amount",
        "quota",
        "quota_used",
        "quota_left",
        "is_active",
        "sort_order",
    )
    readonly_fields = ("quota_used", "quota_left")
    autocomplete_fields = ("location",)

    @admin.display(description=gettext_lazy("Quota left"))
    def quota_left(self, price):
        if price is None or price.pk is None:
            return "—"
        return "unlimited" if price.quota is None else price.quota_remaining


class PhotoInline(ReadOnlyPermissionsMixin, MerchantScopedTabularInline):
    model = Photo
    fields = ("thumbnail", "order", "width", "height", "size", "file")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    def get_queryset(self, request):
        # Each row names its session (the row's title, the photo's file name): one join, not
        # one query per photo.
        return super().get_queryset(request).select_related("session")

    @admin.display(description=gettext_lazy("Photo"))
    def thumbnail(self, photo):
        if not photo or not photo.file:
            return "—"
        return format_html(
            '<a href="{0}" target="_blank" rel="noreferrer"><img src="{0}" alt="" '
            'style="height:72px;width:72px;object-fit:cover;border-radius:4px"></a>',
            photo_urls(photo)["url"],
        )


class RefundDueFilter(admin.SimpleListFilter):
    title = gettext_lazy("payment issue")
    parameter_name = "issue"

    def lookups(self, request, model_admin):
        return (
            ("refund_due", "Paid late, not refunded yet"),
            *[(value, label) for value, label in PhotoSession.PaymentIssue.choices if value],
        )

    def queryset(self, request, queryset):
        if self.value() == "refund_due":
            return queryset.filter(
                payment_issue=PhotoSession.PaymentIssue.PAID_LATE,
                payment__status=Payment.Status.PAID,
            )
        if self.value():
            return queryset.filter(payment_issue=self.value())
        return queryset


# What an owner reconciles a kiosk with: never the gallery token (the link is the only key to
# the customer's photos), the QR string or anything of the kiosk's key.
PHOTO_SESSION_EXPORT_COLUMNS = [
    Column("external_id"),
    Column("merchant", "merchant__slug"),
    Column("location_code", "location__machine_code"),
    Column("location", "location__name"),
    Column("business_date"),
    Column("created_at"),
    Column("time_zone", "merchant__time_zone"),
    Column("package", "price__description"),
    Column("currency"),
    Column("amount"),
    Column("status"),
    Column("counts_as_takings"),
    Column("refunded"),
    Column("payment_issue"),
    Column("payment_issue_at"),
    Column("payment_status", "payment__status"),
    Column("gateway"),
    Column("gateway_order_id"),
    Column("gateway_transaction_id"),
    Column("expires_at"),
    Column("paid_at"),
    Column("email"),
    Column("send_invoice"),
    Column("photos", "photo_total"),
    Column("photos_uploaded_at"),
    Column("email_sent_at"),
    Column("photos_expire_at"),
    Column("photos_cleaned_at"),
]


@admin.register(PhotoSession)
class PhotoSessionAdmin(CsvExportMixin, MerchantScopedAdmin):
    """Money and status are read-only; owners may correct the email, use the actions and
    export the list to CSV."""

    list_display = (
        "external_id",
        "merchant",
        "kiosk",
        "amount_money",
        "status",
        "paid",
        "photo_count",
        "payment_issue",
    )
    list_filter = ("location", "status", "business_date", RefundDueFilter, "merchant")
    list_select_related = ("merchant", "location", "price", "payment")
    search_fields = (
        "external_id",
        "email",
        "gateway_order_id",
        "gateway_transaction_id",
        "location__name",
    )
    # The merchant's own day of the sale, indexed with the merchant (photo_session_day), as the
    # order list: its years and months come from the first and last day.
    date_hierarchy = "business_date"
    bounded_date_hierarchy = True
    show_full_result_count = False
    inlines = (PhotoInline,)
    actions = ("resend_email", "refund_late_payment")
    fieldsets = (
        (None, {"fields": ("merchant", "external_id", "location", "price", "status", "gallery")}),
        (gettext_lazy("Customer"), {"fields": ("email", "send_invoice")}),
        (
            gettext_lazy("Payment"),
            {
                "fields": (
                    "amount",
                    "currency",
                    "payment",
                    "gateway",
                    "gateway_order_id",
                    "gateway_transaction_id",
                    "expires_at",
                    "paid_at",
                    "payment_issue",
                    "payment_issue_at",
                )
            },
        ),
        (
            gettext_lazy("Photos"),
            {
                "fields": (
                    "photos_uploaded_at",
                    "email_sent_at",
                    "email_send_count",
                    "photos_expire_at",
                    "photos_cleaned_at",
                )
            },
        ),
    )
    editable_fields = ("email", "send_invoice")
    export_columns = PHOTO_SESSION_EXPORT_COLUMNS

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(photo_total=photo_count())

    def get_export_queryset(self, request, queryset):
        return (
            super()
            .get_export_queryset(request, queryset)
            .annotate(
                refunded=session_refunds(),
                counts_as_takings=Case(
                    When(COUNTS_AS_TAKINGS, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                ),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        every = [name for _title, options in self.fieldsets for name in options["fields"]]
        return [name for name in every if name not in self.editable_fields]

    def has_add_permission(self, request, obj=None):
        return False  # kiosks sell sessions; nobody types them in

    def has_delete_permission(self, request, obj=None):
        return False  # a sale is a money record

    @admin.display(description=_("Kiosk"), ordering="location__machine_code")
    def kiosk(self, session):
        return session.location.machine_code

    @admin.display(description=_("Paid"), ordering="paid_at")
    def paid(self, session):
        return short_time(session.paid_at, session.merchant)

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_money(self, session):
        return money(session.amount, session.currency)

    @admin.display(description=gettext_lazy("Photos"), ordering="photo_total")
    def photo_count(self, session):
        return getattr(session, "photo_total", None)

    @admin.display(description=gettext_lazy("Gallery"))
    def gallery(self, session):
        if session.status != PhotoSession.Status.COMPLETED:
            return "—"
        url = gallery_url(session)
        return format_html('<a href="{}" target="_blank" rel="noreferrer">Open gallery</a>', url)

    @admin.action(description=gettext_lazy("Resend the gallery email"), permissions=["change"])
    def resend_email(self, request, queryset):
        sent = 0
        for session in queryset:
            if not self._has_role(request, Role.OWNER, session):
                continue
            try:
                photos.photo_session_resend_email(session=session)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            sent += 1
        if sent:
            self.message_user(
                request,
                gettext("%(sent)s gallery email(s) on their way.") % {"sent": sent},
                messages.SUCCESS,
            )

    @admin.action(
        description=gettext_lazy("Refund money paid after the session ended"),
        permissions=["change"],
    )
    def refund_late_payment(self, request, queryset):
        refunded = 0
        actor = Actor.staff(request.user)
        for session in queryset.select_related("payment__merchant"):
            if not self._has_role(request, Role.OWNER, session):
                continue
            try:
                services.photo_session_refund_late_payment(session=session, actor=actor)
            except DomainError as error:
                self.message_user(request, f"{session}: {error.message}", messages.ERROR)
                continue
            refunded += 1
        if refunded:
            self.message_user(
                request,
                gettext("%(refunded)s late payment(s) refunded.") % {"refunded": refunded},
                messages.SUCCESS,
            )
