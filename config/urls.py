from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config.views import local_media
from customers import views as customer_pages
from merchants import views as merchant_pages
from merchants.health import health
from merchants.observability.metrics import metrics_view
from orders import views as order_pages
from photobox import views as photobox_pages

urlpatterns = [
    path("", merchant_pages.landing, name="landing"),
    re_path(r"^demo/?$", merchant_pages.demo_index, name="demo-index"),
    path("admin/", admin.site.urls),  # merchants.admin_site: its index is the dashboard
    path("api/v1/", include(("config.api_router", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls", namespace="rest_framework")),
    path("health/", health, name="health"),
    path("metrics", metrics_view, name="metrics"),
    # --- merchants pages ---
    re_path(
        r"^staff/invitations/(?P<token>[A-Za-z0-9_-]{16,128})/?$",
        merchant_pages.staff_invitation,
        name="staff-invitation-page",
    ),
    # --- customers pages ---
    re_path(
        r"^auth/magic/(?P<token>[A-Za-z0-9_-]+)/?$",
        customer_pages.magic_link_confirm,
        name="customer-magic-link",
    ),
    re_path(r"^auth/callback/?$", customer_pages.customer_auth_callback, name="customer-callback"),
    re_path(
        r"^demo/customer-auth/?$", customer_pages.customer_auth_demo, name="demo-customer-auth"
    ),
    # --- payments pages ---
    re_path(r"^demo/snap-embedded/?$", order_pages.snap_embedded_demo, name="demo-snap-embedded"),
    re_path(r"^demo/order-history/?$", order_pages.order_history_demo, name="demo-order-history"),
    # --- the till (orders) ---
    path("till/", include("orders.till.urls")),
    # --- photobox pages ---
    re_path(
        r"^gallery/(?P<token>[A-Za-z0-9_-]{16,128})/?$",
        photobox_pages.gallery,
        name="photobox-gallery-page",
    ),
]

# Local media files (the embedded default) only; the view refuses when a media store is set.
urlpatterns.append(
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", local_media, name="local-media")
)

handler403 = "config.views.permission_denied"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
