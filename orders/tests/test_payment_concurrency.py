import pytest

from merchants.testing import requires_postgres, run_concurrently
from orders.models import Order
from orders.tests.conftest import lines
from payments.models import Payment

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/orders"


def test_two_tills_taking_cash_for_one_order_take_it_once(client_for, officer, kopi):
    response = client_for(officer).post(URL, {"lines": lines((kopi, 1))}, format="json")
    order_id = response.json()["id"]

    def pay(_):
        return client_for(officer).post(
            f"{URL}/{order_id}/pay-cash", {"amount_paid": "20000"}, format="json"
        )

    codes = sorted(r.status_code for r in run_concurrently(pay, 4))
    assert codes == [200, 409, 409, 409]
    assert Payment.objects.filter(reference_id=str(order_id)).count() == 1
    assert Order.objects.get(pk=order_id).payment_status == "paid"
