"""The orders API: one viewset for an order's whole life (create, quote, open-bill changes,
workflow, payments). Each action declares its input serializer, so the browsable API's forms
show that action's fields.

Longer than 500 lines on purpose: its actions share the lookup, the roles and the answers, and
a split would scatter one route table over several modules."""

from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from customers.auth import CustomerJWTAuthentication
from merchants.actors import Actor
from merchants.api.authentication import StaffTokenAuthentication
from merchants.api.base import MerchantScopedMixin
from merchants.api.permissions import Role
from merchants.api.rows import fast_one
from orders.api.serializers import (
    OrderCancelSerializer,
    OrderCashReceiptSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderDiscountSerializer,
    OrderLinesAddSerializer,
    OrderLineVoidSerializer,
    OrderMoveSerializer,
    OrderNoInputSerializer,
    OrderPayCashNeedsSerializer,
    OrderPayCashSerializer,
    OrderPaymentNeedsSerializer,
    OrderPaymentResultSerializer,
    OrderPaymentStartSerializer,
    OrderQuoteSerializer,
    OrderRefundSerializer,
    OrderSerializer,
    OrderSplitResultSerializer,
    OrderSplitSerializer,
    OrderTenderAddSerializer,
    OrderTenderResultSerializer,
)
from orders.bills import (
    SplitLine,
    order_discount_remove,
    order_discount_set,
    order_line_void,
    order_lines_add,
    order_move,
    order_split,
)
from orders.filters import MyOrderFilterSet, OrderFilterSet, OrderSearchFilter
from orders.idempotency import idempotent
from orders.models import Order
from orders.payments import (
    order_payment_cancel,
    order_payment_check,
    order_payment_expire,
    order_payment_refund,
    order_payment_start,
)
from orders.selectors import (
    ORDER_SEARCH_FIELDS,
    order_action_example,
    order_attach_payments,
    order_create_example,
    order_detail_get,
    order_payment_needs,
    order_queryset,
)
from orders.services import (
    CustomerInput,
    LineInput,
    order_cancel,
    order_complete,
    order_confirm,
    order_create,
    order_preview,
)
from orders.tenders import (
    TenderInput,
    order_counter_sale,
    order_pay_cash,
    order_payment_add,
    order_preview_tenders,
)


def line_inputs(lines: list[dict]) -> list[LineInput]:
    """Validated `lines` of a request body as the services take them."""
    return [
        LineInput(
            product_id=line["product_id"],
            quantity=line["qty"],
            notes=line["notes"],
            modifier_option_ids=tuple(line["modifier_option_ids"]),
        )
        for line in lines
    ]


def tender_inputs(tenders: list[dict]) -> list[TenderInput]:
    """Validated `payments` of a request body as the services take them."""
    return [
        TenderInput(
            payment_method=tender["payment_method"],
            amount=tender.get("amount"),
            reference=tender["reference"],
        )
        for tender in tenders
    ]


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
    filter_backends = [DjangoFilterBackend, OrderSearchFilter, OrderingFilter]
    search_fields = list(ORDER_SEARCH_FIELDS)
    ordering_fields = ["created_at", "number", "total_amount", "status"]
    ordering = ["-created_at", "-pk"]
    read_role = Role.OFFICER
    write_role = Role.OFFICER
    action_roles = {"refund": Role.OWNER}
    customer_actions = frozenset(
        {
            "create",
            "quote",
            "retrieve",
            "my_orders",
            "create_payment",
            "check_status",
            "cancel_payment",
        }
    )

    # Detail actions on the order's payments: they load what they need themselves.
    payment_actions = frozenset(
        {
            "create_payment",
            "check_status",
            "pay_cash",
            "cancel_payment",
            "expire_payment",
            "refund",
            "tender",
        }
    )

    def base_queryset(self):
        if self.action in self.payment_actions:
            return Order.objects.select_related("merchant")
        return order_queryset(with_events=self.action == "retrieve")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return OrderDetailSerializer
        if self.action in ("create", "quote"):
            return OrderCreateSerializer
        return super().get_serializer_class()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        merchant = context.get("merchant")
        if self.customer is None and merchant is not None:
            # Only the browsable API's forms call it (an unbound serializer's initial data).
            context["example"] = lambda: self._example(merchant)
        return context

    def _example(self, merchant) -> dict | None:
        """A body for this action that posts as it is (built once: the HTML and the raw form
        both ask, and a view instance serves one action)."""
        if "_action_example" not in self.__dict__:
            if self.action in ("create", "quote", "lines"):
                example = order_create_example(merchant=merchant)
                if example and self.action == "lines":
                    example = {"lines": example["lines"]}
            else:
                example = order_action_example(
                    order=self.get_object(),
                    action=self.action,
                    is_owner=self._role() >= Role.OWNER,
                )
            self._action_example = example
        return self._action_example

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
            self._no_counter_sale(data)
            customer = self.customer
        else:
            customer = CustomerInput(
                customer_id=data.get("customer_id"),
                email=data.get("customer_email", ""),
                name=data.get("customer_name", ""),
                phone=data.get("customer_phone", ""),
            )
        fields = {
            "merchant": self.merchant,
            "lines": line_inputs(data["lines"]),
            "actor": self._actor(),
            "customer": customer,
            "table": data.get("table"),
            "order_type": data["order_type"],
            "guest_count": data["guest_count"],
            "notes": data["notes"],
        }
        if data.get("payments") or data["complete"]:
            order = order_counter_sale(
                **fields,
                tenders=tender_inputs(data.get("payments", [])),
                complete=data["complete"],
                register=data["register"],
            )
            return self._detail(order, status.HTTP_201_CREATED)
        order = order_create(**fields)
        order.payment_list = []  # just created: no payment yet
        # Built from what was just written, without DRF's per-field work (merchants/api/rows.py).
        return Response(fast_one(OrderDetailSerializer(), order), status=status.HTTP_201_CREATED)

    def _no_counter_sale(self, data) -> None:
        if data.get("payments") or data["complete"]:
            raise PermissionDenied(gettext("Payments and complete are for staff at the counter."))

    @extend_schema(request=OrderCreateSerializer, responses={200: OrderQuoteSerializer})
    @action(detail=False, methods=["post"], serializer_class=OrderCreateSerializer)
    def quote(self, request):
        """What `POST /orders` with this body would charge, line by line, without writing
        anything (for a till pricing its cart after every tap): the same checks and sums,
        the same 4xx. Staff and customers."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if self.customer is not None:
            self._no_counter_sale(data)
        preview = order_preview(
            merchant=self.merchant, lines=line_inputs(data["lines"]), table=data.get("table")
        )
        preview.change = order_preview_tenders(
            preview, tender_inputs(data.get("payments", [])), complete=data["complete"]
        )
        return Response(OrderQuoteSerializer(preview).data)

    def _role(self) -> int:
        return Role.OWNER if self.tenant.is_operator else self.tenant.role

    def _detail(self, order, code=status.HTTP_200_OK) -> Response:
        return Response(OrderDetailSerializer(order_detail_get(pk=order.pk)).data, status=code)

    def _body(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    # --- open bills ---------------------------------------------------------------------

    @extend_schema(request=OrderLinesAddSerializer, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderLinesAddSerializer)
    def lines(self, request, pk=None):
        """Add lines to an open bill (same lines as when creating an order); stock is taken
        for them and the order is priced again. 409 once paid, completed or cancelled."""
        order = self.get_object()
        data = self._body(OrderLinesAddSerializer)
        order = order_lines_add(order=order, lines=line_inputs(data["lines"]), actor=self._actor())
        return self._detail(order)

    @extend_schema(request=OrderLineVoidSerializer, responses={200: OrderDetailSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"lines/(?P<line_id>[0-9]{1,18})/void",
        serializer_class=OrderLineVoidSerializer,
    )
    def void_line(self, request, pk=None, line_id=None):
        """Void one line of an open bill: its stock goes back (once) and the order is priced
        again. Officers while the order is pending; owners also once it is confirmed."""
        order = self.get_object()
        data = self._body(OrderLineVoidSerializer)
        order = order_line_void(
            order=order,
            line_id=int(line_id),
            reason=data["reason"],
            actor=self._actor(),
            role=self._role(),
        )
        return self._detail(order)

    @extend_schema(request=OrderMoveSerializer, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderMoveSerializer)
    def move(self, request, pk=None):
        """Move a pending or confirmed order to another table."""
        order = self.get_object()
        data = self._body(OrderMoveSerializer)
        order = order_move(order=order, table=data["table"], actor=self._actor())
        return self._detail(order)

    @extend_schema(request=OrderSplitSerializer, responses={201: OrderSplitResultSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderSplitSerializer)
    def split(self, request, pk=None):
        """Move quantities of lines to a new bill at the same table (before any payment);
        both bills are priced again, stock does not change."""
        order = self.get_object()
        data = self._body(OrderSplitSerializer)
        result = order_split(
            order=order,
            lines=[
                SplitLine(line_id=line["line_id"], quantity=line["qty"]) for line in data["lines"]
            ],
            actor=self._actor(),
        )
        body = {
            "order": order_detail_get(pk=result.order.pk),
            "new_order": order_detail_get(pk=result.new_order.pk),
        }
        return Response(OrderSplitResultSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["POST"], request=OrderDiscountSerializer, responses={200: OrderDetailSerializer}
    )
    @extend_schema(methods=["DELETE"], request=None, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post", "delete"], serializer_class=OrderDiscountSerializer)
    def discount(self, request, pk=None):
        """Give a discount on the whole bill (percent or amount, with a reason), or remove it
        (DELETE). Officers up to the merchant's limit; owners any."""
        order = self.get_object()
        if request.method == "DELETE":
            return self._detail(order_discount_remove(order=order, actor=self._actor()))
        data = self._body(OrderDiscountSerializer)
        order = order_discount_set(
            order=order,
            kind=data["kind"],
            value=data["value"],
            reason=data["reason"],
            actor=self._actor(),
            role=self._role(),
        )
        return self._detail(order)

    def retrieve(self, request, *args, **kwargs):
        order = self.get_object()
        order_attach_payments([order])
        return Response(OrderDetailSerializer(order).data)

    def _move(self, service, **kwargs) -> Response:
        order = service(order=self.get_object(), actor=self._actor(), **kwargs)
        order = order_detail_get(pk=order.pk)
        return Response(OrderDetailSerializer(order).data)

    @extend_schema(request=None, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderNoInputSerializer)
    def confirm(self, request, pk=None):
        """pending → confirmed."""
        return self._move(order_confirm)

    @extend_schema(request=None, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderNoInputSerializer)
    def complete(self, request, pk=None):
        """confirmed → completed."""
        return self._move(order_complete)

    @extend_schema(request=OrderCancelSerializer, responses={200: OrderDetailSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderCancelSerializer)
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
            raise PermissionDenied(gettext("Only a signed-in customer has 'my orders'."))
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    # --- payments -------------------------------------------------------------------------

    def _payment_result(self, order_pk: int, payment) -> Response:
        order = Order.objects.only(
            "status", "payment_status", "paid_at", "total_amount", "amount_paid"
        ).get(pk=order_pk)
        return Response(
            OrderPaymentResultSerializer(
                {
                    "payment": payment,
                    "order_status": order.status,
                    "order_payment_status": order.payment_status,
                    "paid_at": order.paid_at,
                    "amount_due": order.amount_due,
                }
            ).data
        )

    @extend_schema(
        request=None,
        responses={201: OrderPaymentStartSerializer, 200: OrderPaymentStartSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="create-payment",
        serializer_class=OrderNoInputSerializer,
    )
    def create_payment(self, request, pk=None):
        """Pay the order total with Midtrans Snap: a token for snap.js and a redirect URL.

        While the order's last Snap token is still valid it is answered again (200, `reused`);
        a new one is 201. A cancelled or paid order is a 409; a gateway failure a 502 that
        leaves nothing behind. Staff and the order's own customer.
        """
        order = self.get_object()
        started = order_payment_start(order=order, actor=self._actor())
        payment = started.payment
        body = OrderPaymentStartSerializer(
            {
                "payment_id": payment.pk,
                "token": payment.snap_token,
                "redirect_url": payment.redirect_url,
                "expires_at": payment.expires_at,
                "amount": payment.amount,
                "currency": payment.currency,
                "reused": started.reused,
                "order_payment_status": started.order.payment_status,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK if started.reused else 201)

    @extend_schema(request=None, responses={200: OrderPaymentResultSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="check-status",
        serializer_class=OrderNoInputSerializer,
    )
    def check_status(self, request, pk=None):
        """Ask the gateway where the order's payment stands and apply the answer (staff and
        the order's own customer). 409 when the order has no payment yet."""
        order = self.get_object()
        return self._payment_result(order.pk, order_payment_check(order=order, actor=self._actor()))

    @extend_schema(
        methods=["POST"],
        request=OrderPayCashSerializer,
        responses={200: OrderCashReceiptSerializer},
    )
    @extend_schema(methods=["GET"], responses={200: OrderPayCashNeedsSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="pay-cash",
        serializer_class=OrderPayCashSerializer,
    )
    def pay_cash(self, request, pk=None):
        """Cash at the counter (staff): at least the order's rounded amount; answers the change.

        A charge still open at the gateway for this order is cancelled afterwards. GET shows
        what cash must cover.
        """
        order = self.get_object()
        if request.method == "GET":
            return Response(OrderPayCashNeedsSerializer(order_payment_needs(order=order)).data)
        serializer = OrderPayCashSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipt = order_pay_cash(
            order=order,
            amount_paid=serializer.validated_data["amount_paid"],
            actor=self._actor(),
            register=serializer.validated_data["register"],
        )
        order = Order.objects.only("status", "payment_status", "total_amount", "amount_paid").get(
            pk=order.pk
        )
        return Response(
            OrderCashReceiptSerializer(
                {
                    "payment_id": receipt.payment.pk,
                    "amount_due": receipt.payment.amount,
                    "amount_paid": receipt.payment.cash_tendered_amount,
                    "change": receipt.change,
                    "order_amount_due": order.amount_due,
                    "order_payment_status": order.payment_status,
                }
            ).data
        )

    @extend_schema(
        methods=["POST"],
        request=OrderTenderAddSerializer,
        responses={201: OrderTenderResultSerializer, 200: OrderTenderResultSerializer},
    )
    @extend_schema(methods=["GET"], responses={200: OrderPaymentNeedsSerializer})
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="payments",
        serializer_class=OrderTenderAddSerializer,
    )
    def tender(self, request, pk=None):
        """Take a payment for part or all of what is due, by one of the merchant's payment
        methods (staff). Cash gives change on the tender that covers the rest; other methods
        never take more than is due; gateway methods start a Snap or QRIS charge. The order
        is paid once its payments cover the total; `amount_due` says what is left. GET shows
        what is due and the methods to pay it with."""
        order = self.get_object()
        if request.method == "GET":
            needs = order_payment_needs(order=order, with_methods=True)
            return Response(OrderPaymentNeedsSerializer(needs).data)
        data = self._body(OrderTenderAddSerializer)
        result = order_payment_add(
            order=order,
            payment_method=data["payment_method"],
            actor=self._actor(),
            amount=data.get("amount"),
            reference=data["reference"],
            register=data["register"],
        )
        current = result.order
        body = OrderTenderResultSerializer(
            {
                "payment": result.payment,
                "change": result.change,
                "reused": result.reused,
                "amount_paid": current.amount_paid,
                "amount_due": current.amount_due,
                "order_status": current.status,
                "order_payment_status": current.payment_status,
            }
        ).data
        return Response(body, status=status.HTTP_200_OK if result.reused else 201)

    @extend_schema(request=None, responses={200: OrderPaymentResultSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="cancel-payment",
        serializer_class=OrderNoInputSerializer,
    )
    def cancel_payment(self, request, pk=None):
        """Cancel the order's pending payment, at the gateway too (staff and the order's own
        customer). 409, saying why, when no payment is pending."""
        order = self.get_object()
        payment = order_payment_cancel(order=order, actor=self._actor())
        return self._payment_result(order.pk, payment)

    @extend_schema(request=None, responses={200: OrderPaymentResultSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="expire-payment",
        serializer_class=OrderNoInputSerializer,
    )
    def expire_payment(self, request, pk=None):
        """Expire the order's pending payment now (staff). A still-pending order is then
        cancelled and its stock released. 409, saying why, when no payment is pending."""
        order = self.get_object()
        payment = order_payment_expire(order=order, actor=self._actor())
        return self._payment_result(order.pk, payment)

    @extend_schema(request=OrderRefundSerializer, responses={200: OrderPaymentResultSerializer})
    @action(detail=True, methods=["post"], serializer_class=OrderRefundSerializer)
    def refund(self, request, pk=None):
        """Refund the order's payment in full or `amount` of it (owner only), never more than
        was paid. Midtrans refunds go through Midtrans; cash is handed back at the counter."""
        order = self.get_object()
        serializer = OrderRefundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = order_payment_refund(
            order=order,
            actor=self._actor(),
            reason=data["reason"],
            amount=data.get("amount"),
            payment_id=data.get("payment_id"),
            register=data["register"],
        )
        return self._payment_result(order.pk, payment)
