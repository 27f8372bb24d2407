from merchants.tests.tenancy import EndpointCase
from payments.tests.factories import PaymentFactory

CASES = [
    EndpointCase(
        basename="payment",
        factory=PaymentFactory,
        create_payload=None,  # payments are created by the apps that sell, not here
        deletable=False,
        updatable=False,
        detail_actions=(("post", "check-status"), ("post", "refund")),
    ),
]
