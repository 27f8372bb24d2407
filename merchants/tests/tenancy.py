"""The shape every app uses to enter its staff endpoints into the tenancy and role matrix.

Each app lists its tenant-scoped endpoints in `<app>/tests/tenancy_cases.py` as `CASES`;
`merchants/tests/test_tenancy_matrix.py` runs the same checks over all of them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from merchants.models import Membership

Role = Membership.Role


@dataclass(frozen=True)
class EndpointCase:
    basename: str  # the router basename, e.g. "table-location"
    factory: Callable  # factory(merchant=...) -> an object of that merchant
    # A valid create body for `merchant` (may create related rows of that merchant first).
    create_payload: Callable | None = None
    # field name -> factory(merchant=...) of a related object; another merchant's id must be a 400.
    related_fields: dict[str, Callable] = field(default_factory=dict)
    read_role: int = Role.OFFICER
    write_role: int = Role.OWNER
    # Extra (method, suffix) detail routes, e.g. ("post", "rotate-key"), also checked for 404.
    detail_actions: tuple[tuple[str, str], ...] = ()
    deletable: bool = True
    # False for read-only endpoints: PATCH is then not part of the role checks.
    updatable: bool = True

    def __str__(self) -> str:
        return self.basename


@dataclass(frozen=True)
class ReportCase:
    """A read-only staff report (not a collection of rows): the matrix proves its figures of
    one merchant never show at another's, and who may read it."""

    name: str  # the test id
    url: Callable[[], str]  # the path with its query, e.g. "/api/v1/reports/daily"
    # seed(merchant) creates that merchant's figures and returns text that then appears in
    # the owner's response (an amount, a product name).
    seed: Callable[..., str]
    read_role: int = Role.OFFICER

    def __str__(self) -> str:
        return self.name
