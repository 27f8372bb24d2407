"""Serializers of the orders API: the input of each action of `OrderViewSet` and the answers it
gives (order, lines, payments, events, quotes, tenders, open-bill changes).

Longer than 500 lines on purpose: they serve one viewset (orders/api/views.py) and share its
mixins (the browsable API's example bodies, `qty` as an alias of `quantity`, money fields), so
one module mirrors that viewset's one route table.
"""

from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from merchants.api.base import MAX_ID, MerchantScopedSerializerMixin, ModelSerializer, money_field
from merchants.api.rows import FastListSerializer
from merchants.models import TableLocation
from orders.models import Order, OrderEvent, OrderItem
from orders.services import MAX_LINES, MAX_QUANTITY
from payments.api.serializers import PaymentRefundSerializer, register_field
from payments.models import Payment, PaymentMethod

MAX_MODIFIERS = 30


def quantity_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, **kwargs)


class ExampleInitialMixin:
    """The browsable API's forms start from a body that posts as it is (a real product, line,
    table or payment of the merchant), not from empty fields: `example` is set in the context
    by the view and only called when a form asks an unbound serializer for its initial data."""

    def get_initial(self):
        example = self.context.get("example")
        initial = example() if callable(example) else None
        return initial if initial is not None else super().get_initial()


class QuantityAliasMixin:
    """`qty` is the contract's word, `quantity` the docs' word: either is accepted (not both
    with different values) and the validated data says `qty`."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        quantity = attrs.pop("quantity", None)
        if quantity is not None and attrs.get("qty") not in (None, quantity):
            raise serializers.ValidationError({"qty": gettext("Send qty or quantity, not both.")})
        if quantity is not None:
            attrs["qty"] = quantity
        if attrs.get("qty") is None:
            raise serializers.ValidationError({"qty": gettext("This field is required.")})
        return attrs


class OrderLineInputSerializer(QuantityAliasMixin, serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    qty = quantity_field(required=False, help_text=gettext_lazy("How many (or `quantity`)."))
    quantity = quantity_field(
        required=False, write_only=True, help_text=gettext_lazy("Same as `qty`.")
    )
    notes = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    modifier_option_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=MAX_MODIFIERS,
        help_text=gettext_lazy("The options chosen from the product's modifier groups."),
    )


class OrderTenderSerializer(MerchantScopedSerializerMixin, serializers.Serializer):
    method_id = serializers.PrimaryKeyRelatedField(
        queryset=PaymentMethod.objects.all(),
        source="payment_method",
        help_text=gettext_lazy(
            "One of the merchant's payment methods (GET /api/v1/payment-methods)."
        ),
    )
    amount = money_field(
        required=False,
        allow_null=True,
        min_value=0,
        help_text=gettext_lazy(
            "Cash: what the customer hands over; other methods: what they pay. Leave "
            "out for all that is due."
        ),
    )
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text=gettext_lazy("An approval code, a transfer reference."),
    )


class OrderTenderAddSerializer(ExampleInitialMixin, OrderTenderSerializer):
    """One tender on an existing order, at a register."""

    register = register_field()


class OrderCreateSerializer(
    ExampleInitialMixin, MerchantScopedSerializerMixin, serializers.Serializer
):
    """What a cashier or a customer sends; prices are never accepted, only products and counts."""

    lines = OrderLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    order_type = serializers.ChoiceField(choices=Order.Type.choices, default=Order.Type.TAKEAWAY)
    table_id = serializers.PrimaryKeyRelatedField(
        queryset=TableLocation.objects.all(), required=False, allow_null=True, source="table"
    )
    guest_count = serializers.IntegerField(min_value=1, max_value=500, default=1)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    # Staff only: whose order it is.
    customer_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    customer_email = serializers.EmailField(required=False, allow_blank=True)
    customer_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    customer_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    # Staff only: a counter sale, paid (and completed) as it is created.
    payments = OrderTenderSerializer(
        many=True,
        required=False,
        max_length=10,
        help_text=gettext_lazy(
            "Tenders taken now (cash and manual methods): the order is created and "
            "paid in one step, or not at all."
        ),
    )
    complete = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "Also complete it: the payments must cover the total (400 otherwise)."
        ),
    )
    register = register_field(
        help_text=gettext_lazy('The register of a counter sale\'s shift; "main".')
    )

    def validate(self, attrs):
        if attrs.get("customer_id") and attrs.get("customer_email"):
            raise serializers.ValidationError(
                gettext("Name the customer by customer_id or by customer_email, not both.")
            )
        if attrs.get("order_type") == Order.Type.DINE_IN and not attrs.get("table"):
            raise serializers.ValidationError(
                {"table_id": gettext("A dine-in order needs a table.")}
            )
        return attrs


class ModifierSnapshotSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        help_text=gettext_lazy("The option's id when the line was rung up.")
    )
    group_id = serializers.IntegerField()
    group = serializers.CharField()
    name = serializers.CharField()
    price_delta = money_field()


class OrderItemSerializer(ModelSerializer):
    base_price = money_field(help_text=gettext_lazy("Unit list price with its modifiers."))
    final_price = money_field(
        help_text=gettext_lazy("Unit price after the promotion, with its modifiers.")
    )
    modifiers = ModifierSnapshotSerializer(many=True, read_only=True)
    order_discount_amount = money_field(
        help_text=gettext_lazy("This line's share of the staff discount.")
    )
    line_subtotal_amount = money_field()
    discount_amount = money_field()
    tax_amount = money_field()
    service_charge_amount = money_field()

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "product",
            "product_name",
            "product_type",
            "quantity",
            "base_price",
            "final_price",
            "promotion_id",
            "promotion_name",
            "tax_percent",
            "service_charge_percent",
            "line_subtotal_amount",
            "discount_amount",
            "tax_amount",
            "service_charge_amount",
            "notes",
            "modifiers",
            "order_discount_amount",
        ]
        read_only_fields = fields


class OrderEventSerializer(ModelSerializer):
    class Meta:
        model = OrderEvent
        fields = ["id", "kind", "from_status", "to_status", "actor_label", "payload", "created_at"]
        read_only_fields = fields


class OrderCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


class OrderTableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class StaffDiscountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Order.DiscountKind.choices)
    value = money_field(help_text=gettext_lazy("Percent, or the amount off."))
    reason = serializers.CharField()
    amount = money_field(
        help_text=gettext_lazy("What it takes off before tax (part of discount_amount).")
    )


@extend_schema_field(StaffDiscountSerializer(allow_null=True))
class StaffDiscountField(serializers.Field):
    """The order's staff discount as one object, or null."""

    def get_attribute(self, instance):
        return instance

    def to_representation(self, order):
        if not order.staff_discount_kind:
            return None
        return StaffDiscountSerializer(
            {
                "kind": order.staff_discount_kind,
                "value": order.staff_discount_value,
                "reason": order.staff_discount_reason,
                "amount": order.staff_discount_amount,
            }
        ).data


class OrderMoneyMixin(serializers.Serializer):
    """The money of an order, as its answers and its quote write it."""

    subtotal_amount = money_field()
    discount_amount = money_field()
    tax_amount = money_field()
    service_charge_amount = money_field()
    total_amount = money_field()
    rounded_amount = money_field()
    amount_paid = money_field(
        help_text=gettext_lazy("What the order's payments brought in so far.")
    )
    amount_due = money_field(
        help_text=gettext_lazy(
            "What is still to pay (0 once paid or cancelled); cash pays it rounded."
        )
    )


class OrderSerializer(OrderMoneyMixin, ModelSerializer):
    customer = OrderCustomerSerializer(read_only=True, allow_null=True)
    table = OrderTableSerializer(read_only=True, allow_null=True)
    items = OrderItemSerializer(many=True, read_only=True, source="item_list")
    allowed_next_statuses = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=gettext_lazy("Moves the workflow allows now."),
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    staff_discount = StaffDiscountField(read_only=True)

    class Meta:
        model = Order
        list_serializer_class = FastListSerializer
        fields = [
            "id",
            "number",
            "business_date",
            "status",
            "payment_status",
            "allowed_next_statuses",
            "order_type",
            "customer",
            "table",
            "guest_count",
            "notes",
            "created_by",
            "currency",
            "subtotal_amount",
            "discount_amount",
            "tax_amount",
            "service_charge_amount",
            "total_amount",
            "rounded_amount",
            "items",
            "created_at",
            "confirmed_at",
            "completed_at",
            "cancelled_at",
            "paid_at",
            "receipt_sent_at",
            "prices_include_tax",
            "staff_discount",
            "amount_paid",
            "amount_due",
            "split_from",
        ]
        read_only_fields = fields


class OrderPaymentSerializer(ModelSerializer):
    """One payment of an order, as staff and the order's customer see it."""

    amount = money_field(read_only=True)
    refunded_amount = money_field(read_only=True)
    cash_tendered_amount = money_field(read_only=True, allow_null=True)
    change_amount = money_field(read_only=True, allow_null=True)
    snap_token = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("For snap.js (`snap.pay` / `snap.embed`); empty for cash."),
    )
    redirect_url = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Midtrans' payment page; empty for QRIS and cash.")
    )
    payment_method_name = serializers.CharField(
        source="payment_method.name",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("The merchant's payment method it was taken by, if one was named."),
    )
    qr_string = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy("The QRIS code to show (QRIS charges); empty otherwise."),
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "gateway",
            "method",
            "status",
            "amount",
            "currency",
            "refunded_amount",
            "snap_token",
            "redirect_url",
            "expires_at",
            "paid_at",
            "cash_tendered_amount",
            "change_amount",
            "created_at",
            "payment_method",
            "payment_method_name",
            "tender_reference",
            "qr_string",
        ]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    events = OrderEventSerializer(many=True, read_only=True, source="event_list")
    payments = OrderPaymentSerializer(
        many=True, read_only=True, source="payment_list", help_text=gettext_lazy("Newest first.")
    )

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "events", "payments"]
        read_only_fields = fields


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")


class OrderPaymentStartSerializer(serializers.Serializer):
    payment_id = serializers.IntegerField()
    token = serializers.CharField(
        help_text=gettext_lazy("Snap token for snap.js (`snap.pay` / `snap.embed`).")
    )
    redirect_url = serializers.CharField(
        help_text=gettext_lazy("Or send the customer to Midtrans' page.")
    )
    expires_at = serializers.DateTimeField(allow_null=True)
    amount = money_field()
    currency = serializers.CharField()
    reused = serializers.BooleanField(
        help_text=gettext_lazy(
            "True: the order's earlier Snap token, still valid, is answered again."
        )
    )
    order_payment_status = serializers.ChoiceField(choices=Order.PaymentStatus.choices)


class OrderPaymentResultSerializer(serializers.Serializer):
    """A payment after a check, cancel, expiry or refund, and where the order now stands."""

    payment = OrderPaymentSerializer()
    order_status = serializers.ChoiceField(choices=Order.Status.choices)
    order_payment_status = serializers.ChoiceField(choices=Order.PaymentStatus.choices)
    paid_at = serializers.DateTimeField(
        allow_null=True, help_text=gettext_lazy("When the order was paid.")
    )
    amount_due = money_field(
        help_text=gettext_lazy("What the order still has to pay now (0 once paid or cancelled).")
    )


class OrderPayCashSerializer(ExampleInitialMixin, serializers.Serializer):
    amount_paid = money_field(
        min_value=0,
        help_text=gettext_lazy("The cash handed over; at least the order's rounded amount."),
    )
    register = register_field()


class OrderCashReceiptSerializer(serializers.Serializer):
    payment_id = serializers.IntegerField()
    # `amount_due` (this cash payment's amount) is older than split tenders and stays for the
    # callers that read it; `order_amount_due` is what the order itself still has to pay.
    amount_due = money_field(
        help_text=gettext_lazy("What this cash paid: what was due, rounded to the cash step.")
    )
    amount_paid = money_field()
    change = money_field(help_text=gettext_lazy("Hand this back."))
    order_amount_due = money_field(
        help_text=gettext_lazy("What the order still has to pay after this cash (0 once paid).")
    )
    order_payment_status = serializers.ChoiceField(choices=Order.PaymentStatus.choices)


class OrderRefundSerializer(ExampleInitialMixin, PaymentRefundSerializer):
    payment_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text=gettext_lazy("Which payment, when the order was paid more than once."),
    )


class OrderQuoteSerializer(OrderMoneyMixin, ModelSerializer):
    """What an order of these lines would be now: the order answer's money and lines."""

    items = OrderItemSerializer(many=True, read_only=True, source="item_list")
    change = money_field(help_text=gettext_lazy("Cash to hand back, when `payments` were sent."))

    class Meta:
        model = Order
        fields = [
            "currency",
            "prices_include_tax",
            "subtotal_amount",
            "discount_amount",
            "tax_amount",
            "service_charge_amount",
            "total_amount",
            "rounded_amount",
            "amount_paid",
            "amount_due",
            "change",
            "items",
        ]
        read_only_fields = fields


class OrderLinesAddSerializer(ExampleInitialMixin, serializers.Serializer):
    lines = OrderLineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class OrderNoInputSerializer(serializers.Serializer):
    """An action that takes no body (confirm, complete, check-status...): its form is a button."""


class OrderPayCashNeedsSerializer(serializers.Serializer):
    """What `GET .../pay-cash` shows before paying: what cash must cover."""

    currency = serializers.CharField()
    total_amount = money_field()
    amount_due = money_field(help_text=gettext_lazy("What is still to pay."))
    cash_due = money_field(
        help_text=gettext_lazy("What cash pays: amount_due rounded to the cash step.")
    )


class OrderPaymentMethodBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class OrderPaymentNeedsSerializer(OrderPayCashNeedsSerializer):
    """What `GET .../payments` shows before a tender: what is due and the methods to use."""

    amount_paid = money_field()
    payment_methods = OrderPaymentMethodBriefSerializer(many=True)


class OrderLineVoidSerializer(ExampleInitialMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=255, help_text=gettext_lazy("Why, for the order's history.")
    )


class OrderMoveSerializer(
    ExampleInitialMixin, MerchantScopedSerializerMixin, serializers.Serializer
):
    table_id = serializers.PrimaryKeyRelatedField(
        queryset=TableLocation.objects.all(),
        source="table",
        help_text=gettext_lazy("The table to move to."),
    )


class OrderSplitLineSerializer(QuantityAliasMixin, serializers.Serializer):
    line_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    qty = quantity_field(
        required=False, help_text=gettext_lazy("How many units move (or `quantity`).")
    )
    quantity = quantity_field(
        required=False, write_only=True, help_text=gettext_lazy("Same as `qty`.")
    )


class OrderSplitSerializer(ExampleInitialMixin, serializers.Serializer):
    lines = OrderSplitLineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class OrderSplitResultSerializer(serializers.Serializer):
    order = OrderDetailSerializer(help_text=gettext_lazy("The bill split from, priced again."))
    new_order = OrderDetailSerializer(help_text=gettext_lazy("The new bill, at the same table."))


class OrderDiscountSerializer(ExampleInitialMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=Order.DiscountKind.choices)
    value = money_field(min_value=0, help_text=gettext_lazy("Percent (0-100) or the amount off."))
    reason = serializers.CharField(max_length=255)


class OrderTenderResultSerializer(serializers.Serializer):
    payment = OrderPaymentSerializer()
    change = money_field(
        help_text=gettext_lazy("Cash to hand back (0 unless cash covered the rest).")
    )
    reused = serializers.BooleanField(
        help_text=gettext_lazy("A gateway charge of this order still valid, answered again.")
    )
    amount_paid = money_field()
    amount_due = money_field(help_text=gettext_lazy("What is still to pay after this tender."))
    order_status = serializers.ChoiceField(choices=Order.Status.choices)
    order_payment_status = serializers.ChoiceField(choices=Order.PaymentStatus.choices)
