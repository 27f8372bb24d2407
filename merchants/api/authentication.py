import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from merchants import auth_cache
from merchants.models import StaffToken
from merchants.secret_links import token_hash

# Writing last_used_at on every request would turn each read into a write; a minute is plenty
# (it is also how finely a token's sliding expiry moves).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(key: str) -> str:
    return token_hash(key)


def staff_token_create(*, user) -> str:
    """Issue a new API token for `user` and return the key; only its hash is kept."""
    key = secrets.token_urlsafe(32)
    StaffToken.objects.create(user=user, key_hash=hash_token(key), prefix=key[:8])
    return key


def staff_token_prune_expired(*, now=None) -> int:
    """Delete tokens unused for longer than `STAFF_TOKEN_TTL_HOURS`; return how many."""
    cutoff = (now or timezone.now()) - StaffToken.ttl()
    deleted, _ = StaffToken.objects.filter(
        Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff)
    ).delete()
    return deleted


class StaffTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` for staff users, looked up by the key's hash."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        key_hash = hash_token(key)
        found = auth_cache.remembered(key_hash)
        version = None
        if found is None:
            version = auth_cache.version_read(key_hash)  # before the rows it vouches for
            token = StaffToken.objects.select_related("user").filter(key_hash=key_hash).first()
            if token is None:
                raise exceptions.AuthenticationFailed(
                    gettext("Invalid or revoked token. Log in again.")
                )
            memberships = None  # read by the tenant's resolution when a view needs them
        else:
            token, memberships = found
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(gettext("This account is disabled."))
        now = timezone.now()
        if token.expires_at <= now:
            token.delete()
            raise exceptions.AuthenticationFailed(gettext("This token has expired. Log in again."))
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            # Also slides the expiry: it is counted from the last use.
            StaffToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            version = version or auth_cache.version_read(key_hash)
        if version is not None:
            auth_cache.remember(key_hash, version=version, token=token, memberships=memberships)
            token.user._staff_auth = (key_hash, version)  # memberships read later join it
        if memberships is not None:
            token.user._staff_memberships = memberships  # the tenant is resolved from these
        return token.user, token
