"""Staff password guessing: failed logins are counted and lock the door for a while.

Every staff login goes through Django's `authenticate()` (the API token endpoint, `/admin/login/`,
the browsable API's login page), which sends `user_login_failed` on a wrong password: one
receiver counts those failures here, whatever the door. Two counters, in the cache (Redis when
`REDIS_URL` is set, so every process shares them):

- per username *and* client address: `STAFF_LOGIN_MAX_FAILURES` failures lock that username from
  that address (guessing one account's password);
- per client address alone: `STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS` failures lock the address for
  every username (trying one password on many accounts).

A lock lasts `STAFF_LOGIN_LOCKOUT_SECONDS`; while it holds even the right password is refused
(`LockoutModelBackend` refuses before any password is checked),
and the answer says when to try again. The username is counted as it is authenticated: trimmed,
Unicode-normalised and case-folded, so " Cashier" and "cashier" share one counter. The client
address is the one the API throttles use (`client_address`), so `NUM_PROXIES` rules both.
"""

import hashlib
import math
import time
import unicodedata

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.utils.translation import gettext, ngettext
from rest_framework.throttling import BaseThrottle

PREFIX = "staff-login"


def client_address(request) -> str:
    """The caller's address: `REMOTE_ADDR`, or with `NUM_PROXIES=N` the N-th address from the
    right of `X-Forwarded-For` (the one our own proxies wrote). The same rule as DRF's throttles.
    """
    return BaseThrottle().get_ident(request) or ""


def normalise_username(username) -> str:
    """The username as login forms authenticate it (trimmed, NFKC), case-folded for counting."""
    return unicodedata.normalize("NFKC", str(username or "").strip()).casefold()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _keys(username: str, address: str) -> dict[str, tuple[str, int]]:
    """counter name → (cache key part, failures that lock)."""
    return {
        "account": (
            _digest(normalise_username(username), address),
            settings.STAFF_LOGIN_MAX_FAILURES,
        ),
        "address": (_digest(address), settings.STAFF_LOGIN_MAX_FAILURES_PER_ADDRESS),
    }


def login_lock_wait(*, username: str, address: str) -> int:
    """Seconds until `username` may try again from `address` (0: not locked)."""
    lock_keys = [f"{PREFIX}:lock:{part}" for part, _ in _keys(username, address).values()]
    until = max(cache.get_many(lock_keys).values(), default=0)
    return max(0, math.ceil(until - time.time()))


def login_failure_record(*, username: str, address: str) -> None:
    """Count one failed login; the counter that reaches its limit starts a lock."""
    lockout = settings.STAFF_LOGIN_LOCKOUT_SECONDS
    for part, limit in _keys(username, address).values():
        key = f"{PREFIX}:failures:{part}"
        if cache.add(key, 1, lockout):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.set(key, 1, lockout)
                count = 1
        if count >= limit:
            cache.set(f"{PREFIX}:lock:{part}", time.time() + lockout, lockout)
            cache.delete(key)


def login_failures_clear(*, username: str, address: str) -> None:
    """A successful login forgets that account's failures from that address (not the address's
    own count: one valid account must not reset a password spray)."""
    part, _ = _keys(username, address)["account"]
    cache.delete(f"{PREFIX}:failures:{part}")


def lock_message(wait: int) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return ngettext(
        "Too many failed logins; try again in %(minutes)d minute.",
        "Too many failed logins; try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return  # not a login by a person at a door we answer (a shell, a test helper)
    username = credentials.get("username", "")
    address = client_address(request)
    if login_lock_wait(username=username, address=address):
        return  # refused for the lock, not for a guess: the lock is not extended
    login_failure_record(username=username, address=address)


@receiver(user_logged_in)
def forget_failed_logins(sender, request=None, user=None, **kwargs) -> None:
    if request is not None and user is not None:
        login_failures_clear(username=user.get_username(), address=client_address(request))


class LockAwareLoginFormMixin:
    """For Django login forms (`AuthenticationForm` and subclasses): a locked username or
    address gets a message saying when to try again, instead of "wrong password"."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        wait = login_lock_wait(username=username, address=client_address(self.request))
        if wait:
            raise ValidationError(lock_message(wait), code="locked")
        return super().clean()


class LockoutModelBackend(ModelBackend):
    """Django's ModelBackend that first refuses a locked username or address, before any
    password is checked (so the right password does not open a locked door either)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        locked = request is not None and username is not None
        if locked and login_lock_wait(username=username, address=client_address(request)):
            raise PermissionDenied(gettext("locked"))
        return super().authenticate(request, username=username, password=password, **kwargs)
