"""Every staff API viewset is registered here, under /api/v1/."""

from django.urls import include, path

from merchants.api.routers import OptionalSlashRouter, api_path
from orders.api.views import OrderViewSet
from merchants.api.views import (
    MerchantViewSet,
    StaffLogoutView,
    StaffTokenView,
    TableLocationViewSet,
)

router = OptionalSlashRouter()
router.register("merchants", MerchantViewSet, basename="merchant")
router.register("table-locations", TableLocationViewSet, basename="table-location")

# --- catalog ---

# --- customers ---

# --- orders ---
router.register("orders", OrderViewSet, basename="order")

# --- payments ---

# --- photobox ---


urlpatterns = [
    api_path("auth/staff/token", StaffTokenView.as_view(), name="staff-token"),
    api_path("auth/staff/logout", StaffLogoutView.as_view(), name="staff-logout"),
    # --- catalog urls ---
    # --- customers urls ---
    # --- orders urls ---
    # --- payments urls ---
    # --- photobox urls ---
    path("", include(router.urls)),
]
