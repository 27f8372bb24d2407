"""A refusal reads as one: inside the admin's frame with the reason, a plain page elsewhere, and
one warning line in the log without a traceback."""

import logging

import pytest
from django.urls import reverse

from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_a_403_in_the_admin_keeps_the_admin_frame_and_says_why(client, officer, merchant, caplog):
    order = OrderFactory(merchant=merchant)
    client.force_login(officer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get(reverse("admin:orders_order_refund", args=[order.pk]))
    assert response.status_code == 403
    assert "Only an owner of this merchant can refund." in response.text
    assert 'id="header"' in response.text  # the admin's own frame
    assert reverse("admin:index") in response.text
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage().startswith("Forbidden")
    assert record.exc_info is None


def test_a_403_elsewhere_is_a_plain_page(client, rf):
    from django.core.exceptions import PermissionDenied

    from config.views import permission_denied

    response = permission_denied(rf.get("/demo/x"), PermissionDenied("Not for you."))
    assert response.status_code == 403
    text = response.content.decode()
    assert "Not for you." in text
    assert 'id="header"' not in text
