from customers.models import Customer, LoginChallenge
from customers.tests.factories import CustomerFactory, LoginChallengeFactory
from merchants.models import Membership
from merchants.tests.tenancy import AdminRowsCase, EndpointCase

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

ADMIN_ROWS_CASES = [
    AdminRowsCase(Customer, CustomerFactory),
    AdminRowsCase(LoginChallenge, LoginChallengeFactory),
]
