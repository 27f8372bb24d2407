"""Tenancy and role matrix over every tenant-scoped staff endpoint of every app."""

import pytest
from django.urls import reverse

from merchants.models import Membership
from merchants.tests.factories import MembershipFactory
from merchants.tests.tenancy import collect_cases

Role = Membership.Role
CASES = collect_cases("CASES")
REPORT_CASES = collect_cases("REPORT_CASES")
OWN_ROWS_CASES = collect_cases("OWN_ROWS_CASES")
pytestmark = pytest.mark.django_db


def list_url(case):
    return reverse(f"api:{case.basename}-list")


def detail_url(case, pk):
    return reverse(f"api:{case.basename}-detail", args=[pk])


def results(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) and "results" in data else data


@pytest.mark.parametrize("case", CASES, ids=str)
class TestTenancy:
    def test_list_shows_only_own_rows(self, case, merchant, other_merchant, owner_client):
        mine, theirs = case.factory(merchant=merchant), case.factory(merchant=other_merchant)
        response = owner_client.get(list_url(case))
        assert response.status_code == 200
        ids = {row["id"] for row in results(response)}
        assert mine.pk in ids
        assert theirs.pk not in ids

    def test_other_merchants_object_is_404(self, case, other_merchant, owner_client):
        theirs = case.factory(merchant=other_merchant)
        url = detail_url(case, theirs.pk)
        assert owner_client.get(url).status_code == 404
        if case.updatable:
            assert owner_client.patch(url, {}, format="json").status_code == 404
        if case.deletable:
            assert owner_client.delete(url).status_code == 404
        for method, suffix in case.detail_actions:
            response = getattr(owner_client, method)(f"{url.rstrip('/')}/{suffix}", {})
            assert response.status_code == 404, (method, suffix)

    def test_related_id_of_other_merchant_is_400(
        self, case, merchant, other_merchant, owner_client
    ):
        if not case.related_fields or case.create_payload is None:
            pytest.skip("no related ids on this endpoint")
        for name, factory in case.related_fields.items():
            payload = case.create_payload(merchant)
            foreign = factory(merchant=other_merchant)
            payload[name] = [foreign.pk] if isinstance(payload.get(name), list) else foreign.pk
            response = owner_client.post(list_url(case), payload, format="json")
            assert response.status_code == 400, (name, response.content)

    def test_create_sets_the_request_merchant(self, case, merchant, other_merchant, owner_client):
        if case.create_payload is None:
            pytest.skip("no create on this endpoint")
        payload = case.create_payload(merchant)
        payload["merchant"] = other_merchant.pk  # ignored: the merchant comes from the request
        response = owner_client.post(list_url(case), payload, format="json")
        assert response.status_code == 201, response.content
        model = case.factory._meta.model
        created = model.objects.get(pk=response.json()["id"])
        from merchants.tenancy import merchant_of

        assert merchant_of(created) == merchant


@pytest.mark.parametrize("case", CASES, ids=str)
class TestRoles:
    def test_anonymous_is_401(self, case, merchant, api_client):
        obj = case.factory(merchant=merchant)
        assert api_client.get(list_url(case)).status_code == 401
        assert api_client.get(detail_url(case, obj.pk)).status_code == 401

    def test_officer(self, case, merchant, officer_client):
        obj = case.factory(merchant=merchant)
        can_read = case.read_role <= Role.OFFICER
        assert officer_client.get(list_url(case)).status_code == (200 if can_read else 403)
        assert officer_client.get(detail_url(case, obj.pk)).status_code == (
            200 if can_read else 403
        )
        if case.write_role > Role.OFFICER:
            if case.updatable:
                response = officer_client.patch(detail_url(case, obj.pk), {}, format="json")
                assert response.status_code == 403
            if case.create_payload is not None:
                payload = case.create_payload(merchant)
                assert (
                    officer_client.post(list_url(case), payload, format="json").status_code == 403
                )

    def test_owner(self, case, merchant, owner_client):
        obj = case.factory(merchant=merchant)
        assert owner_client.get(detail_url(case, obj.pk)).status_code == 200
        response = owner_client.patch(detail_url(case, obj.pk), {}, format="json")
        assert response.status_code == (200 if case.updatable else 405)
        if case.create_payload is not None:
            payload = case.create_payload(merchant)
            response = owner_client.post(list_url(case), payload, format="json")
            assert response.status_code == 201, response.content

    def test_other_merchants_owner_sees_nothing(self, case, merchant, other_owner, client_for):
        obj = case.factory(merchant=merchant)
        client = client_for(other_owner)
        assert client.get(detail_url(case, obj.pk)).status_code == 404
        # Naming our merchant in the header does not open it either.
        client = client_for(other_owner, merchant)
        assert client.get(list_url(case)).status_code == 403

    def test_operator_names_a_merchant(self, case, merchant, operator, client_for):
        obj = case.factory(merchant=merchant)
        assert client_for(operator).get(list_url(case)).status_code == 400
        client = client_for(operator, merchant)
        assert client.get(detail_url(case, obj.pk)).status_code == 200

    def test_user_with_two_merchants_must_choose(
        self, case, merchant, other_merchant, owner, client_for
    ):
        MembershipFactory(user=owner, merchant=other_merchant, role=Role.OWNER)
        theirs = case.factory(merchant=other_merchant)
        assert client_for(owner).get(list_url(case)).status_code == 400
        client = client_for(owner, other_merchant)
        assert client.get(detail_url(case, theirs.pk)).status_code == 200
        client = client_for(owner, merchant)
        assert client.get(detail_url(case, theirs.pk)).status_code == 404


@pytest.mark.parametrize("case", REPORT_CASES, ids=str)
class TestReports:
    """Every report endpoint (`REPORT_CASES`): scoped to the request's merchant, role-checked."""

    def test_owner_sees_own_figures_only(self, case, merchant, other_merchant, owner_client):
        mine, theirs = case.seed(merchant), case.seed(other_merchant)
        response = owner_client.get(case.url())
        assert response.status_code == 200, response.content
        body = response.content.decode()
        assert mine in body
        if theirs != mine:
            assert theirs not in body

    def test_other_merchants_owner_sees_nothing(self, case, merchant, other_owner, client_for):
        marker = case.seed(merchant)
        response = client_for(other_owner).get(case.url())
        assert response.status_code == 200
        assert marker not in response.content.decode()
        # Naming our merchant in the header does not open it either.
        assert client_for(other_owner, merchant).get(case.url()).status_code == 403

    def test_anonymous_is_401(self, case, api_client):
        assert api_client.get(case.url()).status_code == 401

    def test_officer(self, case, merchant, officer_client):
        case.seed(merchant)
        expected = 200 if case.read_role <= Role.OFFICER else 403
        assert officer_client.get(case.url()).status_code == expected

    def test_operator_names_a_merchant(self, case, merchant, operator, client_for):
        marker = case.seed(merchant)
        assert client_for(operator).get(case.url()).status_code == 400
        response = client_for(operator, merchant).get(case.url())
        assert response.status_code == 200
        assert marker in response.content.decode()


@pytest.mark.parametrize("case", OWN_ROWS_CASES, ids=str)
class TestOwnRows:
    """Endpoints over the caller's own rows (`OWN_ROWS_CASES`): nobody else's, ever."""

    def test_list_shows_only_own_rows(self, case, owner, officer, operator, owner_client):
        mine = case.factory(user=owner)
        others = [case.factory(user=officer), case.factory(user=operator)]
        response = owner_client.get(list_url(case))
        assert response.status_code == 200
        ids = {row["id"] for row in results(response)}
        assert mine.pk in ids
        assert not ids & {row.pk for row in others}

    def test_someone_elses_row_is_404(self, case, owner, officer, other_owner, client_for):
        for stranger in (officer, other_owner):
            row = case.factory(user=stranger)
            for method in case.detail_methods:
                response = getattr(client_for(owner), method)(detail_url(case, row.pk))
                assert response.status_code == 404, (stranger, method)
            assert type(row).objects.filter(pk=row.pk).exists()

    def test_operator_sees_only_their_own_too(self, case, owner, operator, client_for):
        row = case.factory(user=owner)
        assert row.pk not in {r["id"] for r in results(client_for(operator).get(list_url(case)))}

    def test_anonymous_is_401(self, case, owner, api_client):
        row = case.factory(user=owner)
        assert api_client.get(list_url(case)).status_code == 401
        for method in case.detail_methods:
            assert getattr(api_client, method)(detail_url(case, row.pk)).status_code == 401
