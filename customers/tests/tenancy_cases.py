from customers.tests.factories import CustomerFactory
from merchants.models import Membership
from merchants.tests.tenancy import EndpointCase

CASES = [
    EndpointCase(
        basename="customer",
        factory=CustomerFactory,
        create_payload=lambda merchant: {"email": "new.customer@example.com", "name": "New"},
        read_role=Membership.Role.OFFICER,
        write_role=Membership.Role.OFFICER,
        detail_actions=(("post", "revoke-tokens"),),
    ),
]
