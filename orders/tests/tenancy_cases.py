from catalog.tests.factories import ProductFactory
from merchants.models import Membership
from merchants.tests.factories import TableLocationFactory
from merchants.tests.tenancy import EndpointCase
from orders.tests.factories import OrderFactory


def _payload(merchant):
    return {"lines": [{"product_id": ProductFactory(merchant=merchant).pk, "qty": 1}]}


CASES = [
    EndpointCase(
        basename="order",
        factory=OrderFactory,
        create_payload=_payload,
        related_fields={"table_id": TableLocationFactory},
        write_role=Membership.Role.OFFICER,
        detail_actions=(
            ("post", "confirm"),
            ("post", "complete"),
            ("post", "cancel"),
            ("post", "create-payment"),
            ("post", "check-status"),
            ("post", "pay-cash"),
            ("post", "cancel-payment"),
            ("post", "expire-payment"),
            ("post", "refund"),
        ),
        updatable=False,
        deletable=False,
    ),
]
