"""Every staff API viewset is registered here, under /api/v1/."""

from django.urls import include, path

from catalog.api.views import (
    ProductCategoryViewSet,
    ProductViewSet,
    PromotionViewSet,
    PublicCategoryListView,
    PublicProductListView,
    PublicPromotionListView,
    PublicTableListView,
)
from merchants.api.routers import OptionalSlashRouter, api_path
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
router.register("product-categories", ProductCategoryViewSet, basename="product-category")
router.register("products", ProductViewSet, basename="product")
router.register("promotions", PromotionViewSet, basename="promotion")

# --- customers ---

# --- orders ---

# --- payments ---

# --- photobox ---


urlpatterns = [
    api_path("auth/staff/token", StaffTokenView.as_view(), name="staff-token"),
    api_path("auth/staff/logout", StaffLogoutView.as_view(), name="staff-logout"),
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
    # --- orders urls ---
    # --- payments urls ---
    # --- photobox urls ---
    path("", include(router.urls)),
]
