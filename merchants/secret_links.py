"""Secret links (customers' magic links, staff invitations): their tokens and their pages."""

import base64
import hashlib

from django.http import HttpResponse
from django.utils.crypto import salted_hmac


def seeded_token(purpose: str, seed: str) -> str:
    """The link token for a row's random `seed`, derived with a key only the server holds: the
    database keeps the seed and the token's hash, and an email task can rebuild the token from
    the row alone (the same one again on a retry)."""
    digest = salted_hmac(purpose, seed, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What is stored of a token, to find it again: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def private_page(response: HttpResponse) -> HttpResponse:
    """Headers for a page whose URL holds a secret token: never leak it to another site, a
    shared cache or a search engine.

    `same-origin` rather than `no-referrer`: under `no-referrer` browsers send `Origin: null`
    with the page's own form POST and Django's CSRF check refuses it; other sites still get no
    referrer at all.
    """
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
