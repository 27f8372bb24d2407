from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from customers.auth import CustomerJWTAuthentication
from merchants.api.authentication import StaffTokenAuthentication
from merchants.api.base import MerchantScopedMixin
from merchants.api.permissions import Role
from orders.api.serializers import (
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderSerializer,
)
from orders.filters import MyOrderFilterSet, OrderFilterSet
from orders.idempotency import idempotent
from orders.models import Order
from orders.selectors import order_queryset
from orders.services import (
    Actor,
    CustomerInput,
    LineInput,
    order_cancel,
    order_complete,
    order_confirm,
    order_create,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID): a retry with the same key and body replays the "
    "first answer instead of creating a second order.",
)


class OrderViewSet(
    MerchantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Orders. Staff see the merchant's orders; a customer (Bearer token) only their own."""

    authentication_classes = [
        StaffTokenAuthentication,
        SessionAuthentication,
        CustomerJWTAuthentication,
    ]
    queryset = Order.objects.all()
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    search_fields = ["number", "customer__email", "customer__name"]
    ordering_fields = ["created_at", "number", "total_amount", "status"]
    ordering = ["-created_at", "-pk"]
    read_role = Role.OFFICER
    write_role = Role.OFFICER
    customer_actions = frozenset({"create", "retrieve", "my_orders"})

    def base_queryset(self):
        return order_queryset(with_events=self.action == "retrieve")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return OrderDetailSerializer
        if self.action == "create":
            return OrderCreateSerializer
        return super().get_serializer_class()

    def _actor(self) -> Actor:
        if self.customer is not None:
            return Actor.of_customer(self.customer)
        return Actor.staff(self.request.user)

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderDetailSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def create(self, request, *args, **kwargs):
        caller = f"customer:{self.customer.pk}" if self.customer else f"user:{request.user.pk}"
        scope = f"order-create:{self.merchant.pk}:{caller}"
        return idempotent(request, scope=scope, handler=lambda: self._create(request))

    def _create(self, request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if self.customer is not None:
            customer = self.customer
        else:
            customer = CustomerInput(
                customer_id=data.get("customer_id"),
                email=data.get("customer_email", ""),
                name=data.get("customer_name", ""),
                phone=data.get("customer_phone", ""),
            )
        order = order_create(
            merchant=self.merchant,
            lines=[
                LineInput(product_id=line["product_id"], quantity=line["qty"], notes=line["notes"])
                for line in data["lines"]
            ],
            actor=self._actor(),
            customer=customer,
            table=data.get("table"),
            order_type=data["order_type"],
            guest_count=data["guest_count"],
            notes=data["notes"],
        )
        order = order_queryset(with_events=True).get(pk=order.pk)
        return Response(OrderDetailSerializer(order).data, status=status.HTTP_201_CREATED)

    def _move(self, service, **kwargs) -> Response:
        order = service(order=self.get_object(), actor=self._actor(), **kwargs)
        order = order_queryset(with_events=True).get(pk=order.pk)
        return Response(OrderDetailSerializer(order).data)

    @extend_schema(request=None, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """pending → confirmed."""
        return self._move(order_confirm)

    @extend_schema(request=None, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """confirmed → completed."""
        return self._move(order_complete)

    @extend_schema(request=OrderCancelSerializer, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """pending | confirmed → cancelled; reserved stock goes back on the shelf."""
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._move(order_cancel, reason=serializer.validated_data["reason"])

    @extend_schema(responses={200: OrderSerializer(many=True)}, filters=True)
    @action(detail=False, methods=["get"], url_path="my-orders", filterset_class=MyOrderFilterSet)
    def my_orders(self, request):
        """The signed-in customer's orders, newest first (customer token only)."""
        if self.customer is None:
            raise PermissionDenied("Only a signed-in customer has 'my orders'.")
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(OrderSerializer(page, many=True).data)
