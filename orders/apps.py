from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = gettext_lazy("Orders")

    def ready(self):
        from orders.payment_status import order_payment_changed
        from orders.selectors import order_reference_labels
        from payments import registry

        # Every status change of a payment for an order moves the order's payment status.
        registry.register(self.get_model("Order").PAYMENT_REFERENCE_KIND, order_payment_changed)
        # The payments admin lists an order's number, linked, rather than its id.
        registry.register_labels(
            self.get_model("Order").PAYMENT_REFERENCE_KIND, order_reference_labels
        )
