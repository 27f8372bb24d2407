from merchants.tests.factories import StaffTokenFactory, TableLocationFactory
from merchants.tests.tenancy import EndpointCase, OwnRowsCase

CASES = [
    EndpointCase(
        basename="table-location",
        factory=TableLocationFactory,
        create_payload=lambda merchant: {"number": "Z9", "name": "Corner", "capacity": 2},
    ),
]

OWN_ROWS_CASES = [
    OwnRowsCase(basename="staff-api-token", factory=StaffTokenFactory, detail_methods=("delete",)),
]
