"""The shapes every app uses to enter its pages into the shared checks.

Each app lists, in `<app>/tests/tenancy_cases.py`, its tenant-scoped endpoints as `CASES`, its
endpoints over the caller's own rows as `OWN_ROWS_CASES`, and its reports as `REPORT_CASES`
(`merchants/tests/test_tenancy_matrix.py` runs the same tenancy and role checks over all of
them), and the admin pages over its tables that grow as
`ADMIN_ROWS_CASES` (`merchants/tests/test_admin_query_counts.py`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.db.models import Model

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


@dataclass(frozen=True)
class OwnRowsCase:
    """An endpoint over the caller's own rows, whatever the merchant (their API tokens): the
    matrix proves another user's rows are never listed and are a 404, even for a co-worker."""

    basename: str
    factory: Callable  # factory(user=...) -> a row of that user
    # Methods the detail route answers, e.g. ("get", "delete").
    detail_methods: tuple[str, ...] = ("get",)

    def __str__(self) -> str:
        return self.basename


@dataclass(frozen=True)
class AdminRowsCase:
    """An admin page over a table that grows: it must run as many queries for 30 rows as for 3.

    Without `inline_factory`, the changelist of `model`, `factory(merchant=...)` making one row
    of it. With it, the change page of one `factory(merchant=...)` object, whose inline lists
    the rows `inline_factory(**{parent: obj})` makes.
    """

    model: type[Model]
    factory: Callable
    inline_factory: Callable | None = None
    parent: str = ""  # the inline rows' link to the object, e.g. "payment"

    @property
    def inline(self) -> str:
        return self.inline_factory._meta.model._meta.label_lower if self.inline_factory else ""

    def __str__(self) -> str:
        page = f"change page, {self.inline}" if self.inline_factory else "changelist"
        return f"{self.model._meta.label_lower} {page}"


def collect_cases(name: str) -> list:
    """`name` (e.g. "CASES") from the `tests.tenancy_cases` module of every app of ours."""
    cases = []
    for config in apps.get_app_configs():
        if not str(config.path).startswith(str(settings.BASE_DIR)):
            continue
        try:
            module = import_module(f"{config.name}.tests.tenancy_cases")
        except ModuleNotFoundError:
            continue
        cases.extend(getattr(module, name, []))
    return cases
