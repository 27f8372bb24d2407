"""Who acts: passed as an argument to every service that records who did something.

The kernel owns it so that payments can carry the actor into the owner of a reference (orders,
photobox) without importing them. Webhooks and beat tasks act as `SYSTEM`.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, a customer, or the system (beat tasks, webhooks)."""

    user: "AbstractBaseUser | None" = None
    customer: Any = None  # a customers.Customer; typed loosely, as the kernel imports no app
    label: str = "system"

    @classmethod
    def staff(cls, user: "AbstractBaseUser") -> "Actor":
        return cls(user=user, label=user.get_username())

    @classmethod
    def of_customer(cls, customer: Any) -> "Actor":
        return cls(customer=customer, label=gettext("customer %(pk)s") % {"pk": customer.pk})


SYSTEM = Actor()
