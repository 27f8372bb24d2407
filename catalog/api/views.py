from django.conf import settings
from django.db.models import Count, Prefetch
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from catalog import menu_cache, selectors, services
from catalog.api.serializers import (
    DeletedCountSerializer,
    DetailImagesDeleteSerializer,
    DetailImagesUploadSerializer,
    ModifierGroupSerializer,
    ProductCategorySerializer,
    ProductImageSerializer,
    ProductSerializer,
    PromotionSerializer,
    PublicCategorySerializer,
    PublicProductSerializer,
    PublicPromotionSerializer,
    PublicTableSerializer,
    StockAdjustmentSerializer,
    StockMovementSerializer,
    ThumbnailUploadSerializer,
)
from catalog.filters import (
    ProductCategoryFilterSet,
    ProductFilterSet,
    PromotionFilterSet,
    PublicProductFilterSet,
    StockMovementFilterSet,
)
from catalog.models import (
    ModifierGroup,
    ModifierOption,
    Product,
    ProductCategory,
    Promotion,
    StockMovement,
)
from catalog.stock import StockKind, stock_adjust
from merchants.actors import Actor
from merchants.api.base import MerchantScopedViewSet
from merchants.api.parsers import BoundedFormParser, BoundedJSONParser
from merchants.api.permissions import Role
from merchants.models import TableLocation
from merchants.throttling import AnonRateThrottle


class ProductCategoryViewSet(MerchantScopedViewSet):
    """Menu or shelf sections (officers read, owners write)."""

    queryset = ProductCategory.objects.annotate(product_count=Count("products"))
    serializer_class = ProductCategorySerializer
    filterset_class = ProductCategoryFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["sort_order", "name", "created_at"]
    ordering = ["sort_order", "name"]


class ProductViewSet(MerchantScopedViewSet):
    """Products with their current promotional price and images (officers read, owners write).

    Images are managed through `thumbnail` and `detail-images`; scanners use `lookup`.
    """

    queryset = Product.objects.prefetch_related(
        selectors.product_images_prefetch(), selectors.product_modifier_links_prefetch()
    )
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet
    search_fields = ["name", "description", "sku", "barcode"]
    ordering_fields = ["name", "base_price", "stock", "sort_order", "created_at", "updated_at"]
    ordering = ["sort_order", "name"]
    # Officers may restock (checked in the action); everything else about stock is the owner's.
    action_roles = {"stock_adjustments": Role.OFFICER, "stock_movements": Role.OFFICER}

    def base_queryset(self):
        queryset = super().base_queryset()
        if self.action == "list":
            return selectors.with_category_name(queryset)
        return queryset.select_related("category")  # writes check the category's merchant

    def list(self, request, *args, **kwargs):
        """From the cache while the merchant's catalog and stock versions hold (see
        catalog/menu_cache.py), with an ETag; `PRODUCT_LIST_CACHE_SECONDS=0` turns it off."""
        merchant = self.merchant
        seconds = settings.PRODUCT_LIST_CACHE_SECONDS
        if merchant is None or not seconds or request.accepted_renderer.format != "json":
            return self._list(request)
        return menu_cache.cached_answer(
            self,
            request,
            merchant_id=merchant.pk,
            kind="products",
            build=lambda: self._list(request),
            render=self._render,
            with_stock=True,
            seconds=seconds,
            cache_control="private, no-cache",  # a staff answer: never in a shared cache
        )

    def _render(self, response) -> bytes:
        request = self.request
        return request.accepted_renderer.render(
            response.data, request.accepted_media_type, self.get_renderer_context()
        )

    def _list(self, request):
        # Rows from selected columns, images and modifier links by product id: the same JSON
        # as model instances through the prefetch, at a fraction of the work per row.
        queryset = selectors.product_row_values(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        rows = selectors.product_rows(list(queryset if page is None else page))
        serializer = self.get_serializer(rows, many=True)
        if page is None:
            return Response(serializer.data)
        return self.get_paginated_response(serializer.data)

    def _image_response(self, product, code=status.HTTP_200_OK):
        product = self.get_queryset().get(pk=product.pk)  # fresh images, one prefetch
        return Response(self.get_serializer(product).data, status=code)

    @extend_schema(
        summary="Find a product by its barcode (for scanners)",
        parameters=[OpenApiParameter("barcode", str, required=True)],
        responses={200: ProductSerializer},
    )
    @action(detail=False, methods=["get"], url_path="lookup", filter_backends=[])
    def lookup(self, request):
        product = selectors.product_get_by_barcode(
            merchant=self.merchant, barcode=request.query_params.get("barcode", "")
        )
        return Response(self.get_serializer(product).data)

    @extend_schema(
        methods=["POST"],
        summary="Set (replace) the thumbnail",
        request={"multipart/form-data": ThumbnailUploadSerializer},
        responses={201: ProductSerializer},
    )
    @extend_schema(
        methods=["DELETE"], summary="Remove the thumbnail", request=None, responses={204: None}
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        url_path="thumbnail",
        parser_classes=[MultiPartParser, BoundedFormParser],
    )
    def thumbnail(self, request, pk=None):
        product = self.get_object()
        if request.method == "DELETE":
            services.product_thumbnail_remove(product=product)
            return Response(status=status.HTTP_204_NO_CONTENT)
        upload = ThumbnailUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        services.product_thumbnail_set(product=product, upload=upload.validated_data["file"])
        return self._image_response(product, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"],
        summary="Add detail images (at most 3 per product)",
        request={"multipart/form-data": DetailImagesUploadSerializer},
        responses={201: ProductImageSerializer(many=True)},
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Delete detail images by id",
        request=DetailImagesDeleteSerializer,
        responses={200: DeletedCountSerializer},
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        url_path="detail-images",
        parser_classes=[MultiPartParser, BoundedFormParser, BoundedJSONParser],
    )
    def detail_images(self, request, pk=None):
        product = self.get_object()
        if request.method == "DELETE":
            body = DetailImagesDeleteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            deleted = services.product_detail_images_remove(
                product=product, ids=body.validated_data["ids"]
            )
            return Response({"deleted": deleted})
        files = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
        upload = DetailImagesUploadSerializer(data={"files": files})
        upload.is_valid(raise_exception=True)
        images = services.product_detail_images_add(
            product=product, uploads=upload.validated_data["files"]
        )
        return Response(
            ProductImageSerializer(images, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Adjust, restock or count one product's stock",
        request=StockAdjustmentSerializer,
        responses={201: StockMovementSerializer},
    )
    @action(detail=True, methods=["post"], url_path="stock-adjustments")
    def stock_adjustments(self, request, pk=None):
        """Change the product's stock through its ledger: `delta` units (kind `adjustment` or
        `restock`) or the `counted` units on the shelf (kind `count`). Owners; officers may
        only `restock`. 409 when stock would go below zero."""
        product = self.get_object()
        body = StockAdjustmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        role = Role.OWNER if self.tenant.is_operator else self.tenant.role
        if data["kind"] != StockKind.RESTOCK and role < Role.OWNER:
            raise PermissionDenied(
                gettext("Officers may only restock (kind restock, a positive delta).")
            )
        movement = stock_adjust(
            product=product,
            actor=Actor.staff(request.user),
            kind=data["kind"],
            reason=data["reason"],
            delta=data.get("delta"),
            counted=data.get("counted"),
        )
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The product's stock ledger, newest first",
        parameters=[
            OpenApiParameter("kind", str, many=True, enum=StockMovement.Kind.values),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
        ],
        responses={200: StockMovementSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="stock-movements")
    def stock_movements(self, request, pk=None):
        """Every change of the product's stock (filters: kind, created_after, created_before)."""
        product = self.get_object()
        filters = StockMovementFilterSet(
            request.query_params,
            queryset=StockMovement.objects.filter(product=product, merchant=self.merchant),
        )
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        movements = filters.qs.order_by("-created_at", "-pk")
        page = self.paginate_queryset(movements)
        if page is not None:
            return self.get_paginated_response(StockMovementSerializer(page, many=True).data)
        return Response(StockMovementSerializer(movements, many=True).data)


class PromotionViewSet(MerchantScopedViewSet):
    """Promotions with their product ids (officers read, owners write)."""

    queryset = Promotion.objects.prefetch_related(
        Prefetch("products", queryset=Product.objects.only("pk"))
    )
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "starts_at", "ends_at", "created_at"]
    ordering = ["-starts_at", "name"]


class ModifierGroupViewSet(MerchantScopedViewSet):
    """Modifier groups with their options: sizes, sugar, add-ons (officers read, owners write).

    Products list the groups they offer in `modifier_group_ids`; order lines choose options
    by `modifier_option_ids`.
    """

    queryset = ModifierGroup.objects.prefetch_related(
        Prefetch("options", queryset=ModifierOption.objects.order_by("sort_order", "pk"))
    )
    serializer_class = ModifierGroupSerializer
    filterset_fields = ["is_active"]
    search_fields = ["name"]
    ordering_fields = ["sort_order", "name", "created_at"]
    ordering = ["sort_order", "name", "pk"]


# --- public menu (no login) -----------------------------------------------------------------


class PublicMenuThrottle(AnonRateThrottle):
    scope = "public_menu"


class _SlugMoved(Exception):
    """The remembered slug names another shop now: answer without the cache."""


class PublicMenuView(generics.ListAPIView):
    """Base of the customer-facing menu: no login, one merchant by slug, active things only."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicMenuThrottle]

    @property
    def merchant(self):
        if not hasattr(self, "_merchant"):
            self._merchant = selectors.public_merchant_get(slug=self.kwargs["merchant_slug"])
            menu_cache.slug_remember(self._merchant.slug, self._merchant.pk)
        return self._merchant

    def list(self, request, *args, **kwargs):
        """From the cache while the catalog version holds (see catalog/menu_cache.py); the
        answer carries an ETag and a matching `If-None-Match` gets a 304."""
        if request.accepted_renderer.format != "json":
            return super().list(request, *args, **kwargs)
        merchant_id = menu_cache.slug_hint(self.kwargs["merchant_slug"]) or self.merchant.pk

        def build():
            if self.merchant.pk != merchant_id:  # the slug now names another shop
                raise _SlugMoved
            return super(PublicMenuView, self).list(request, *args, **kwargs)

        try:
            return menu_cache.cached_answer(
                self,
                request,
                merchant_id=merchant_id,
                kind="menu",
                build=build,
                render=self._render,
            )
        except _SlugMoved:
            return super().list(request, *args, **kwargs)

    def _render(self, response) -> bytes:
        request = self.request
        return request.accepted_renderer.render(
            response.data, request.accepted_media_type, self.get_renderer_context()
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["merchant"] = self.merchant
        return context

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.fake_queryset
        return self.menu_queryset()


@extend_schema(auth=[], summary="Public menu: products with their price now and image URLs")
class PublicProductListView(PublicMenuView):
    serializer_class = PublicProductSerializer
    filterset_class = PublicProductFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "base_price", "sort_order"]
    ordering = ["sort_order", "name"]
    fake_queryset = Product.objects.none()

    def menu_queryset(self):
        return selectors.public_product_list(merchant=self.merchant)


@extend_schema(auth=[], summary="Public menu: categories")
class PublicCategoryListView(PublicMenuView):
    serializer_class = PublicCategorySerializer
    search_fields = ["name"]
    ordering_fields = ["sort_order", "name"]
    ordering = ["sort_order", "name"]
    fake_queryset = ProductCategory.objects.none()

    def menu_queryset(self):
        return selectors.public_category_list(merchant=self.merchant)


@extend_schema(auth=[], summary="Public menu: promotions running now")
class PublicPromotionListView(PublicMenuView):
    serializer_class = PublicPromotionSerializer
    search_fields = ["name"]
    ordering_fields = ["ends_at", "starts_at", "name"]
    ordering = ["ends_at"]
    fake_queryset = Promotion.objects.none()

    def menu_queryset(self):
        return selectors.public_promotion_list(merchant=self.merchant)


@extend_schema(auth=[], summary="Public menu: tables (for table ordering)")
class PublicTableListView(PublicMenuView):
    serializer_class = PublicTableSerializer
    search_fields = ["number", "name", "zone"]
    ordering_fields = ["number", "name", "capacity"]
    ordering = ["number"]

    fake_queryset = TableLocation.objects.none()

    def menu_queryset(self):
        return selectors.public_table_list(merchant=self.merchant)
