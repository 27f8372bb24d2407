from merchants.tests.factories import TableLocationFactory
from merchants.tests.tenancy import EndpointCase

CASES = [
    EndpointCase(
        basename="table-location",
        factory=TableLocationFactory,
        create_payload=lambda merchant: {"number": "Z9", "name": "Corner", "capacity": 2},
    ),
]
