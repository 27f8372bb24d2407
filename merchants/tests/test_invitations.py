"""Membership by consent: owners invite by email, the invitee accepts after signing in."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail

from merchants.models import Membership, StaffInvitation
from merchants.services import hash_invitation_token
from merchants.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
URL = "/api/v1/staff/invitations"


@pytest.fixture
def invite(owner_client, django_capture_on_commit_callbacks):
    """`invite(email, role="officer")` → the emailed link's token."""

    def make(email, role="officer", client=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or owner_client).post(
                URL, {"email": email, "role": role}, format="json"
            )
        assert response.status_code == 201, response.content
        link = re.search(r"http://\S+/staff/invitations/([A-Za-z0-9_-]+)/", mail.outbox[-1].body)
        return link.group(1)

    return make


def test_invitation_is_emailed_with_a_link_and_only_its_hash_is_kept(invite, owner):
    token = invite("Cashier@Example.com", role="owner")
    message = mail.outbox[-1]
    assert message.to == ["cashier@example.com"]
    assert message.subject == "Join Kopi Test as owner"
    html = message.alternatives[0][0]
    assert f"/staff/invitations/{token}/" in html
    invitation = StaffInvitation.objects.get()
    assert invitation.token_hash == hash_invitation_token(token)
    assert token not in (invitation.secret_seed, invitation.token_hash)
    assert invitation.invited_by == owner
    assert invitation.email_sent_at is not None


def test_nobody_becomes_staff_before_accepting(invite, merchant, other_owner):
    invite(other_owner.email)
    assert not Membership.objects.filter(user=other_owner, merchant=merchant).exists()


def test_api_accept_as_the_signed_in_user(invite, merchant, other_owner, client_for):
    token = invite(other_owner.email)
    response = client_for(other_owner).post(f"{URL}/accept", {"token": token}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "merchant_id": merchant.pk,
        "merchant_slug": "kopi-test",
        "merchant_name": "Kopi Test",
        "role": "officer",
    }
    assert Membership.objects.get(user=other_owner, merchant=merchant).role == Role.OFFICER
    row = client_for(other_owner).get(f"{URL}/accept")
    assert row.status_code == 405
    # The link works once.
    again = client_for(other_owner).post(f"{URL}/accept", {"token": token}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_invitation"
    listed = client_for(other_owner, merchant).get(URL)
    assert listed.status_code == 403  # an officer there, not an owner


def test_accept_needs_a_login(invite, api_client):
    token = invite("x@example.com")
    assert api_client.post(f"{URL}/accept", {"token": token}, format="json").status_code == 401


def test_the_operator_cannot_be_invited(invite, operator, client_for):
    token = invite("op@example.com")
    response = client_for(operator).post(f"{URL}/accept", {"token": token}, format="json")
    assert response.status_code == 403


def test_expired_invitation_cannot_be_accepted(
    invite, owner_client, other_owner, client_for, client, settings
):
    settings.STAFF_INVITATION_TTL_HOURS = 1
    token = invite(other_owner.email)
    with time_machine.travel(timedelta(hours=1, seconds=1)):
        response = client_for(other_owner).post(f"{URL}/accept", {"token": token}, format="json")
        assert response.status_code == 400
        assert client.get(f"/staff/invitations/{token}/").status_code == 400
        assert owner_client.get(URL).json()["results"][0]["status"] == "expired"
    assert not Membership.objects.filter(user=other_owner, merchant__slug="kopi-test").exists()


def test_list_and_revoke(invite, owner_client, other_owner, client_for):
    token = invite("first@example.com")
    invite("second@example.com", role="owner")
    rows = owner_client.get(URL).json()["results"]
    assert [(r["email"], r["role"], r["status"], r["invited_by"]) for r in rows] == [
        ("second@example.com", "owner", "pending", "own"),
        ("first@example.com", "officer", "pending", "own"),
    ]
    first = StaffInvitation.objects.get(email="first@example.com")
    assert owner_client.delete(f"{URL}/{first.pk}").status_code == 204
    response = client_for(other_owner).post(f"{URL}/accept", {"token": token}, format="json")
    assert response.status_code == 400


def test_accepted_invitation_is_not_revoked(invite, owner_client, other_owner, client_for):
    token = invite(other_owner.email)
    client_for(other_owner).post(f"{URL}/accept", {"token": token}, format="json")
    invitation = StaffInvitation.objects.get()
    assert owner_client.get(f"{URL}/{invitation.pk}").json()["accepted_by"] == "other-own"
    assert owner_client.delete(f"{URL}/{invitation.pk}").status_code == 409


def test_a_second_pending_invitation_is_a_conflict(invite, owner_client):
    invite("dup@example.com")
    response = owner_client.post(URL, {"email": "DUP@example.com", "role": "officer"})
    assert response.status_code == 409
    assert "revoke" in response.json()["error"]["message"]


def test_bad_input_is_a_400(owner_client):
    assert owner_client.post(URL, {"email": "nope", "role": "officer"}).status_code == 400
    assert owner_client.post(URL, {"email": "a@example.com", "role": "boss"}).status_code == 400


def test_the_answer_is_the_same_for_known_and_unknown_addresses(owner_client, other_owner):
    known = owner_client.post(URL, {"email": other_owner.email, "role": "officer"}).json()
    unknown = owner_client.post(URL, {"email": "nobody@example.com", "role": "officer"}).json()
    strip = {"id", "email", "created_at", "expires_at", "email_sent_at"}
    assert {k: v for k, v in known.items() if k not in strip} == {
        k: v for k, v in unknown.items() if k not in strip
    }


# --- the page the link opens ----------------------------------------------------------------


def page_url(token):
    return f"/staff/invitations/{token}/"


def test_page_shows_the_invitation_and_changes_nothing(invite, client):
    token = invite("new@example.com")
    response = client.get(page_url(token))
    assert response.status_code == 200
    assert b"Join Kopi Test" in response.content
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert StaffInvitation.objects.get().accepted_at is None


def test_invalid_link_is_a_clear_400(client):
    response = client.get(page_url("x" * 43))
    assert response.status_code == 400
    assert b"cannot be used" in response.content


def test_new_account_from_the_page(invite, client, merchant):
    token = invite("new@example.com")
    response = client.post(
        page_url(token),
        {
            "action": "signup",
            "signup-username": "newbie",
            "signup-password1": "a-Long-pass-9876",
            "signup-password2": "a-Long-pass-9876",
        },
    )
    assert response.status_code == 303, response.content
    assert response["Location"] == "/admin/"
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "new@example.com"
    assert user.is_staff
    assert Membership.objects.get(user=user).merchant == merchant
    assert client.get("/admin/").status_code == 200


def test_existing_account_signs_in_on_the_page(invite, client, merchant, other_owner):
    token = invite("whoever@example.com")
    response = client.post(
        page_url(token),
        {"action": "login", "login-username": "other-own", "login-password": "pass12345"},
    )
    assert response.status_code == 303
    assert Membership.objects.filter(user=other_owner, merchant=merchant).exists()


def test_page_login_is_locked_like_every_login(invite, client, other_owner, settings):
    settings.STAFF_LOGIN_MAX_FAILURES = 2
    token = invite("whoever@example.com")
    for password in ("bad", "bad", "pass12345"):
        response = client.post(
            page_url(token),
            {"action": "login", "login-username": "other-own", "login-password": password},
        )
    assert response.status_code == 200
    assert b"Too many failed logins" in response.content
    assert not Membership.objects.filter(user=other_owner, merchant__slug="kopi-test").exists()


def test_signed_in_user_accepts_with_one_button(invite, client, merchant, other_owner):
    token = invite("whoever@example.com", role="owner")
    client.force_login(other_owner)
    assert b"Accept and join" in client.get(page_url(token)).content
    assert client.post(page_url(token), {"action": "accept"}).status_code == 303
    assert Membership.objects.get(user=other_owner, merchant=merchant).role == Role.OWNER


# --- the admin --------------------------------------------------------------------------------


def test_owner_can_no_longer_attach_an_existing_account(owner_admin, merchant, other_owner):
    response = owner_admin.post(
        "/admin/merchants/membership/add/",
        {"username": "other-own", "merchant": merchant.pk, "role": Role.OFFICER},
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=other_owner, merchant=merchant).exists()


def test_admin_invitation_says_nothing_of_accounts(
    owner_admin, merchant, other_owner, django_capture_on_commit_callbacks
):
    pages = []
    for email in (other_owner.email, "stranger@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_admin.post(
                "/admin/merchants/staffinvitation/add/",
                {"merchant": merchant.pk, "email": email, "role": Role.OFFICER},
                follow=True,
            )
        assert response.status_code == 200
        pages.append(response.content.decode().replace(email, "EMAIL"))
    assert len(mail.outbox) == 2
    assert StaffInvitation.objects.count() == 2
    first, second = (re.sub(r"/\d+/", "/N/", page) for page in pages)
    assert first.count("EMAIL") == second.count("EMAIL")
    assert not Membership.objects.filter(user=other_owner, merchant=merchant).exists()


def test_admin_refuses_a_second_pending_invitation(owner_admin, merchant):
    for _ in range(2):
        response = owner_admin.post(
            "/admin/merchants/staffinvitation/add/",
            {"merchant": merchant.pk, "email": "twice@example.com", "role": Role.OFFICER},
        )
    assert response.status_code == 200
    assert b"already has a pending invitation" in response.content
    assert StaffInvitation.objects.count() == 1


def test_officers_do_not_see_invitations_in_the_admin(client, officer):
    client.force_login(officer)
    assert client.get("/admin/merchants/staffinvitation/").status_code == 403


def test_operator_still_adds_staff_directly(client, operator, merchant):
    UserFactory(username="hired")
    client.force_login(operator)
    response = client.post(
        "/admin/merchants/membership/add/",
        {"username": "hired", "merchant": merchant.pk, "role": Role.OFFICER},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="hired", merchant=merchant).exists()
