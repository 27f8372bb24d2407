"""Low-stock alerts: what is low, the dashboard panel, and one email a day to the owners."""

from datetime import datetime
from smtplib import SMTPException
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from catalog import tasks
from catalog.models import LowStockAlert
from catalog.reports import panel_low_stock
from catalog.selectors import merchant_ids_with_low_stock, product_list_low_stock
from catalog.services import low_stock_alert_send
from catalog.tests.factories import ProductFactory
from merchants.models import Membership
from merchants.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")


def tracked(merchant, name, stock, threshold, **kwargs):
    return ProductFactory(
        merchant=merchant,
        name=name,
        track_stock=True,
        stock=stock,
        low_stock_threshold=threshold,
        **kwargs,
    )


@pytest.fixture
def shelf(merchant, owner):
    owner.email = "owner@kopi.test"
    owner.save()
    return {
        "empty": tracked(merchant, "Croissant", 0, 3, sku="CRO"),
        "at": tracked(merchant, "House Blend", 5, 5),
        "below": tracked(merchant, "Pisang Goreng", 2, 6),
        # not low: above the threshold, no threshold, untracked, retired
        "above": tracked(merchant, "Roti", 6, 5),
        "none": tracked(merchant, "Espresso beans", 0, None),
        "untracked": ProductFactory(merchant=merchant, stock=0, low_stock_threshold=5),
        "retired": tracked(merchant, "Old mug", 0, 2, is_active=False),
    }


def test_low_means_tracked_and_at_or_below_the_threshold(merchant, shelf, other_merchant):
    tracked(other_merchant, "Their croissant", 0, 3)
    names = [p.name for p in product_list_low_stock(merchant=merchant)]
    assert names == ["Croissant", "Pisang Goreng", "House Blend"]  # emptiest first


def test_the_panel_lists_them_in_two_queries(merchant, shelf, django_assert_num_queries):
    with django_assert_num_queries(2):  # the products, their week of sales from the ledger
        data = panel_low_stock(merchant=merchant, now=datetime(2026, 3, 10, 8, tzinfo=WIB))
    assert [(row["name"], row["stock"], row["threshold"]) for row in data.rows] == [
        ("Croissant", 0, 3),
        ("Pisang Goreng", 2, 6),
        ("House Blend", 5, 5),
    ]
    assert [column["key"] for column in data.columns] == [
        "name",
        "sku",
        "stock",
        "threshold",
        "sold_per_day",
        "days_left",
    ]


def test_sold_per_day_comes_from_the_ledger_net_of_cancels(merchant, officer):
    from merchants.actors import SYSTEM
    from orders.services import LineInput, order_cancel, order_create

    beans = ProductFactory(
        merchant=merchant, name="Beans", track_stock=True, stock=40, low_stock_threshold=30
    )
    for _ in range(2):
        order_create(
            merchant=merchant, lines=[LineInput(product_id=beans.pk, quantity=7)], actor=SYSTEM
        )
    cancelled = order_create(
        merchant=merchant, lines=[LineInput(product_id=beans.pk, quantity=5)], actor=SYSTEM
    )
    order_cancel(order=cancelled, actor=SYSTEM, reason="left")
    data = panel_low_stock(merchant=merchant, now=timezone.now())
    [row] = [row for row in data.rows if row["name"] == "Beans"]
    # 14 units sold over 7 days: 2 a day; 26 left last 13 days.
    assert (row["stock"], row["sold_per_day"], row["days_left"]) == (26, "2.0", "13.0")


def test_product_api_and_admin_filter_agree(merchant, shelf, owner_client, client, owner):
    query = {"low_stock": "true", "is_active": "true"}
    api = owner_client.get(reverse("api:product-list"), query).json()
    assert {row["name"] for row in api["results"]} == {"Croissant", "House Blend", "Pisang Goreng"}
    client.force_login(owner)
    page = client.get(reverse("admin:catalog_product_changelist"), {"low_stock": "yes"})
    assert page.status_code == 200
    assert b"Pisang Goreng" in page.content
    assert b"Roti" not in page.content


def test_the_email_lists_the_products_and_goes_to_the_owners(merchant, shelf, officer):
    second = MembershipFactory(merchant=merchant, role=Membership.Role.OWNER).user
    officer.email = "cashier@kopi.test"
    officer.save()
    assert low_stock_alert_send(merchant_id=merchant.pk) is True
    [email] = mail.outbox
    assert sorted(email.to) == sorted(["owner@kopi.test", second.email])  # officers: not
    assert email.subject == "Low stock at Kopi Test: 3 products to restock"
    assert email.from_email.startswith("Kopi Test <")
    assert "- Croissant (CRO): 0 left, threshold 3" in email.body
    assert "/admin/catalog/product/?low_stock=yes" in email.body
    html = email.alternatives[0][0]
    assert "Pisang Goreng" in html
    assert "Roti" not in html
    alert = LowStockAlert.objects.get(merchant=merchant)
    assert (alert.product_count, alert.recipient_count, alert.sent_at is not None) == (3, 2, True)


def test_the_email_shows_what_each_sold_per_day_from_the_ledger(merchant, owner):
    from merchants.actors import SYSTEM
    from orders.services import LineInput, order_create

    owner.email = "owner@kopi.test"
    owner.save()
    beans = tracked(merchant, "Beans", 40, 30)
    tracked(merchant, "Gula", 1, 5)  # low, but nothing sold this week
    order_create(
        merchant=merchant, lines=[LineInput(product_id=beans.pk, quantity=14)], actor=SYSTEM
    )

    assert low_stock_alert_send(merchant_id=merchant.pk) is True

    [email] = mail.outbox
    lines = {line.split(":")[0]: line for line in email.body.splitlines() if line.startswith("- ")}
    # 14 units sold over 7 days: 2 a day; 26 left last 13 days.
    assert (
        lines["- Beans"] == "- Beans: 26 left, threshold 30, sells 2.0 a day (about 13.0 days left)"
    )
    assert lines["- Gula"] == "- Gula: 1 left, threshold 5"
    html = email.alternatives[0][0]
    beans_row = html[html.index("<td>Beans</td>") :].split("</tr>")[0]
    assert '<td style="text-align:right;">2.0</td>' in beans_row
    assert '<td style="text-align:right;">13.0</td>' in beans_row


def test_sent_once_a_local_day(merchant, shelf, time_machine):
    time_machine.move_to(datetime(2026, 3, 10, 8, tzinfo=WIB), tick=False)
    assert low_stock_alert_send(merchant_id=merchant.pk) is True
    assert low_stock_alert_send(merchant_id=merchant.pk) is False  # redelivered, same day
    time_machine.move_to(datetime(2026, 3, 10, 23, 59, tzinfo=WIB), tick=False)
    assert low_stock_alert_send(merchant_id=merchant.pk) is False
    time_machine.move_to(datetime(2026, 3, 11, 0, 1, tzinfo=WIB), tick=False)  # 17:01Z
    assert low_stock_alert_send(merchant_id=merchant.pk) is True
    assert len(mail.outbox) == 2
    assert [str(a.day) for a in LowStockAlert.objects.order_by("day")] == [
        "2026-03-10",
        "2026-03-11",
    ]


def test_nothing_is_sent_when_nothing_is_low(merchant, owner):
    owner.email = "owner@kopi.test"
    owner.save()
    tracked(merchant, "Roti", 6, 5)
    assert low_stock_alert_send(merchant_id=merchant.pk) is False
    assert mail.outbox == []
    assert not LowStockAlert.objects.exists()


def test_nothing_is_sent_without_an_owner_address(merchant, shelf, owner):
    owner.email = ""
    owner.save()
    assert low_stock_alert_send(merchant_id=merchant.pk) is False
    assert mail.outbox == []


def test_a_failed_send_is_retried_not_lost(merchant, shelf):
    with (
        mock.patch("catalog.services.send_templated_email", side_effect=SMTPException("down")),
        pytest.raises(SMTPException),
    ):
        low_stock_alert_send(merchant_id=merchant.pk)
    assert not LowStockAlert.objects.exists()  # the claim is released
    assert low_stock_alert_send(merchant_id=merchant.pk) is True
    assert len(mail.outbox) == 1


def test_the_beat_task_queues_one_email_per_merchant(merchant, shelf, other_merchant, settings):
    other_owner = MembershipFactory(
        merchant=other_merchant, role=Membership.Role.OWNER, user__email="other@shop.test"
    ).user
    tracked(other_merchant, "Their croissant", 0, 3)
    tracked(other_merchant, "Their beans", 1, 3)
    assert merchant_ids_with_low_stock() == sorted([merchant.pk, other_merchant.pk])
    assert tasks.low_stock_alerts_queue_task.delay().get() == 2
    assert sorted(email.to[0] for email in mail.outbox) == ["other@shop.test", "owner@kopi.test"]
    their = next(email for email in mail.outbox if email.to == [other_owner.email])
    assert "Their beans" in their.body
    assert "Croissant (CRO)" not in their.body
    # Beat fires again the same day: nothing more.
    tasks.low_stock_alerts_queue_task.delay()
    assert len(mail.outbox) == 2
    entry = settings.BEAT_SCHEDULE_DEFAULTS["catalog: email low-stock alerts"]
    assert entry["task"] == tasks.low_stock_alerts_queue_task.name
