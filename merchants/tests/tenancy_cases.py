from merchants.models import Membership
from merchants.tests.factories import (
    StaffInvitationFactory,
    StaffTokenFactory,
    TableLocationFactory,
)
from merchants.tests.tenancy import EndpointCase, OwnRowsCase

CASES = [
    EndpointCase(
        basename="table-location",
        factory=TableLocationFactory,
        create_payload=lambda merchant: {"number": "Z9", "name": "Corner", "capacity": 2},
    ),
    EndpointCase(
        basename="staff-invitation",
        factory=StaffInvitationFactory,
        create_payload=lambda merchant: {"email": "new-cashier@example.com", "role": "officer"},
        read_role=Membership.Role.OWNER,
        updatable=False,
    ),
]

OWN_ROWS_CASES = [
    OwnRowsCase(basename="staff-api-token", factory=StaffTokenFactory, detail_methods=("delete",)),
]
