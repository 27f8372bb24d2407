"""Every staff API viewset is registered here, under /api/v1/."""

from django.urls import include, path

from catalog.api.views import (
    ModifierGroupViewSet,
    ProductCategoryViewSet,
    ProductViewSet,
    PromotionViewSet,
    PublicCategoryListView,
    PublicProductListView,
    PublicPromotionListView,
    PublicTableListView,
)
from customers.api.views import (
    CustomerViewSet,
    LogoutAllView,
    MeView,
    RequestMagicLinkView,
    RequestOtpView,
    VerifyMagicLinkView,
    VerifyOtpView,
)
from merchants.api.reports import PanelListView, PanelView
from merchants.api.routers import OptionalSlashRouter, api_path, router_view
from merchants.api.views import (
    ExportJobViewSet,
    MerchantViewSet,
    StaffApiTokenViewSet,
    StaffInvitationAcceptView,
    StaffInvitationViewSet,
    StaffLogoutView,
    StaffMeView,
    StaffTokenView,
    TableLocationViewSet,
)
from orders.api.reports import DailyReportView, SalesReportView
from orders.api.views import OrderViewSet
from payments.api.views import (
    MidtransNotificationView,
    PaymentMethodViewSet,
    PaymentViewSet,
    ShiftViewSet,
    XenditCallbackView,
)
from photobox.api.views import (
    EXTERNAL_ID_PATTERN,
    GALLERY_TOKEN_PATTERN,
    GalleryView,
    KioskLocationViewSet,
    KioskPhotoUploadView,
    KioskPriceListView,
    KioskPriceViewSet,
    KioskSessionCreateView,
    KioskTransactionStatusView,
    MaintenanceCleanupView,
    PhotoSessionViewSet,
)

router = OptionalSlashRouter()
router.register("merchants", MerchantViewSet, basename="merchant")
router.register("table-locations", TableLocationViewSet, basename="table-location")
router.register("auth/staff/tokens", StaffApiTokenViewSet, basename="staff-api-token")
router.register("staff/invitations", StaffInvitationViewSet, basename="staff-invitation")
router.register("export-jobs", ExportJobViewSet, basename="export-job")

# --- catalog ---
router.register("product-categories", ProductCategoryViewSet, basename="product-category")
router.register("products", ProductViewSet, basename="product")
router.register("promotions", PromotionViewSet, basename="promotion")
router.register("modifier-groups", ModifierGroupViewSet, basename="modifier-group")

# --- customers ---
router.register("customers", CustomerViewSet, basename="customer")

# --- orders ---
router.register("orders", OrderViewSet, basename="order")

# --- payments ---
router.register("payments", PaymentViewSet, basename="payment")
router.register("payment-methods", PaymentMethodViewSet, basename="payment-method")
router.register("shifts", ShiftViewSet, basename="shift")

# --- photobox ---
router.register("photobox/locations", KioskLocationViewSet, basename="photobox-location")
router.register("photobox/prices", KioskPriceViewSet, basename="photobox-price")
router.register("photobox/transactions", PhotoSessionViewSet, basename="photobox-transaction")


urlpatterns = [
    api_path("auth/staff/token", StaffTokenView.as_view(), name="staff-token"),
    api_path("auth/staff/logout", StaffLogoutView.as_view(), name="staff-logout"),
    api_path("auth/staff/me", StaffMeView.as_view(), name="staff-me"),
    api_path(
        "staff/invitations/accept",
        StaffInvitationAcceptView.as_view(),
        name="staff-invitation-accept",
    ),
    api_path("reports/panels", PanelListView.as_view(), name="report-panel-list"),
    api_path(r"reports/panels/(?P<name>[a-z0-9-]{1,60})", PanelView.as_view(), name="report-panel"),
    # --- catalog urls ---
    api_path(
        r"public/(?P<merchant_slug>[-\w]+)/products",
        PublicProductListView.as_view(),
        name="public-product-list",
    ),
    api_path(
        r"public/(?P<merchant_slug>[-\w]+)/product-categories",
        PublicCategoryListView.as_view(),
        name="public-product-category-list",
    ),
    api_path(
        r"public/(?P<merchant_slug>[-\w]+)/promotions",
        PublicPromotionListView.as_view(),
        name="public-promotion-list",
    ),
    api_path(
        r"public/(?P<merchant_slug>[-\w]+)/table-locations",
        PublicTableListView.as_view(),
        name="public-table-location-list",
    ),
    # --- customers urls ---
    api_path(
        "auth/customer/request-magic-link",
        RequestMagicLinkView.as_view(),
        name="customer-request-magic-link",
    ),
    api_path(
        "auth/customer/verify-magic-link",
        VerifyMagicLinkView.as_view(),
        name="customer-verify-magic-link",
    ),
    api_path("auth/customer/request-otp", RequestOtpView.as_view(), name="customer-request-otp"),
    api_path("auth/customer/verify-otp", VerifyOtpView.as_view(), name="customer-verify-otp"),
    api_path("auth/customer/me", MeView.as_view(), name="customer-me"),
    api_path("auth/customer/logout-all", LogoutAllView.as_view(), name="customer-logout-all"),
    # --- orders urls ---
    api_path("reports/daily", DailyReportView.as_view(), name="report-daily"),
    api_path("reports/sales", SalesReportView.as_view(), name="report-sales"),
    # --- payments urls ---
    api_path(
        "payments/midtrans/notification",
        MidtransNotificationView.as_view(),
        name="payment-midtrans-notification",
    ),
    api_path(
        "payments/xendit/callback", XenditCallbackView.as_view(), name="payment-xendit-callback"
    ),
    # --- photobox urls ---
    # Kiosks sell at the path where staff list sessions: POST is the kiosk's, the rest the staff's.
    api_path(
        "photobox/transactions",
        KioskSessionCreateView.as_view(
            other_methods_view=router_view(router, "photobox-transaction-list")
        ),
        name="photobox-kiosk-sale",
    ),
    api_path(
        rf"photobox/transactions/external/(?P<external_id>{EXTERNAL_ID_PATTERN})",
        KioskTransactionStatusView.as_view(),
        name="photobox-kiosk-status",
    ),
    api_path(
        rf"photobox/transactions/(?P<external_id>{EXTERNAL_ID_PATTERN})/photos",
        KioskPhotoUploadView.as_view(),
        name="photobox-kiosk-photos",
    ),
    api_path("photobox/kiosk/prices", KioskPriceListView.as_view(), name="photobox-kiosk-prices"),
    api_path(
        rf"photobox/gallery/(?P<token>{GALLERY_TOKEN_PATTERN})",
        GalleryView.as_view(),
        name="photobox-gallery",
    ),
    api_path(
        "photobox/maintenance/cleanup",
        MaintenanceCleanupView.as_view(),
        name="photobox-maintenance-cleanup",
    ),
    path("", include(router.urls)),
]
