import pytest

from merchants.testing import requires_postgres, run_concurrently
from orders.models import IdempotencyRecord, Order
from orders.tests.conftest import lines

URL = "/api/v1/orders"


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_answer(officer_client, kopi):
    payload = {"lines": lines((kopi, 1))}
    first = officer_client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = officer_client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_is_422(officer_client, kopi):
    officer_client.post(URL, {"lines": lines((kopi, 1))}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = officer_client.post(
        URL, {"lines": lines((kopi, 2))}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_client_errors_are_not_stored(officer_client, croissant):
    payload = {"lines": lines((croissant, 9))}
    response = officer_client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert not IdempotencyRecord.objects.exists()
    croissant.stock = 10
    croissant.save()
    response = officer_client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 201


@pytest.mark.django_db
def test_keys_are_scoped_to_the_caller(client_for, officer, owner, kopi):
    payload = {"lines": lines((kopi, 1))}
    for user in (officer, owner):
        response = client_for(user).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="same")
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_a_request_still_running_is_409(officer_client, officer, merchant, kopi):
    from orders.idempotency import request_fingerprint  # noqa: F401  (documents the hash)

    IdempotencyRecord.objects.create(
        scope=f"order-create:{merchant.pk}:user:{officer.pk}", key="busy", request_hash="x"
    )
    response = officer_client.post(
        URL, {"lines": lines((kopi, 1))}, format="json", HTTP_IDEMPOTENCY_KEY="busy"
    )
    assert response.status_code in (409, 422)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_order(client_for, officer, kopi):
    payload = {"lines": lines((kopi, 1))}

    def post(_):
        return client_for(officer).post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="race")

    responses = run_concurrently(post, 6)
    codes = sorted(r.status_code for r in responses)
    assert Order.objects.count() == 1
    assert codes.count(201) >= 1
    assert set(codes) <= {201, 409}


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_one_autocommitted_insert(client_for, officer, kopi, monkeypatch):
    """Outside a transaction the marker is one statement, committed at once (no BEGIN/COMMIT
    around it); a retry still finds it and replays the answer."""
    from django.db import transaction

    inside_transaction = []
    create = IdempotencyRecord.objects.create

    def spying_create(**kwargs):
        inside_transaction.append(transaction.get_connection().in_atomic_block)
        return create(**kwargs)

    monkeypatch.setattr(IdempotencyRecord.objects, "create", spying_create)
    payload = {"lines": lines((kopi, 1))}
    client = client_for(officer)
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="one-trip")
    again = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY="one-trip")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert inside_transaction == [False, False]  # each claim autocommitted on its own
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="one-trip").state == IdempotencyRecord.State.DONE
