"""The product in Indonesian and English: who reads which language, money and times."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from merchants.models import StaffProfile
from merchants.tests.factories import MerchantFactory
from orders.tests.factories import OrderFactory

ORDERS = "/admin/orders/order/"


@pytest.fixture
def orders(merchant):
    return [
        OrderFactory(merchant=merchant, total_amount=Decimal("46000.00")),
        OrderFactory(merchant=merchant, total_amount=Decimal("1250000.00")),
    ]


def test_accept_language_id_shows_the_admin_and_dashboard_in_indonesian(owner_admin, orders):
    page = owner_admin.get("/admin/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'lang="id"' in page
    assert "Kelola usaha Anda" in page  # the index title
    assert "Pesanan" in page  # the orders app and model
    assert "Dasbor" in page or "Kopi Test" in page  # the dashboard's heading
    assert "Memuat…" in page  # the dashboard's panels loading
    assert "Run your shop" not in page


def test_english_stays_the_default(owner_admin, orders):
    page = owner_admin.get("/admin/").content.decode()
    assert "Run your shop" in page
    assert "Kelola usaha Anda" not in page


def test_the_order_list_shows_rupiah_with_dots_in_indonesian(owner_admin, orders):
    page = owner_admin.get(ORDERS, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Rp 46.000" in page
    assert "Rp 1.250.000" in page
    assert "46000.00" not in page
    assert "46000,00" not in page


def test_the_order_list_shows_idr_with_commas_in_english(owner_admin, orders):
    page = owner_admin.get(ORDERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "IDR 46,000" in page
    assert "IDR 1,250,000" in page


def test_the_order_page_shows_money_and_the_time_zone(owner_admin, orders, merchant):
    merchant.time_zone = "Asia/Makassar"
    merchant.save()
    order = orders[0]
    order.created_at = datetime(2026, 5, 5, 2, 5, tzinfo=UTC)
    order.save(update_fields=["created_at"])
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = owner_admin.get(url, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Rp 46.000" in page
    assert "Waktu dalam Asia/Makassar" in page
    assert "10.05" in page or "10:05" in page  # 02:05 UTC is 10:05 in Makassar (WITA)


def test_the_list_says_which_zone_its_times_are_in(owner_admin, orders):
    page = owner_admin.get(ORDERS).content.decode()
    assert "Times in Asia/Jakarta" in page


def test_a_staff_members_choice_beats_the_browser(client, owner, orders):
    StaffProfile.objects.create(user=owner, language="id")
    client.force_login(owner)  # read at sign-in
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Kelola usaha Anda" in page


def test_the_language_picker_saves_the_choice_in_the_profile(owner_admin, orders):
    response = owner_admin.post(
        reverse("admin:language"), {"language": "id", "next": ORDERS}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert response["Location"] == ORDERS
    assert StaffProfile.objects.get(user__username="own").language == "id"
    page = owner_admin.get(ORDERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rp 46.000" in page
    # Back to following the browser.
    owner_admin.post(reverse("admin:language"), {"language": "", "next": ORDERS})
    page = owner_admin.get(ORDERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "IDR 46,000" in page


def test_the_language_picker_refuses_an_unknown_language_and_foreign_redirects(owner_admin):
    response = owner_admin.post(reverse("admin:language"), {"language": "xx"})
    assert response.status_code == 400
    response = owner_admin.post(
        reverse("admin:language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_api_errors_follow_accept_language(api_client):
    response = api_client.post(
        "/api/v1/auth/staff/token",
        {"username": "nobody", "password": "wrong-password"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert response.status_code in (400, 401)
    assert "Nama pengguna atau kata sandi salah." in response.content.decode()


@pytest.mark.django_db
def test_customer_emails_are_in_the_merchants_language(settings):
    from merchants.emails import send_templated_email

    shop = MerchantFactory(name="Kopi Kita", language="id")
    with translation.override("en"):  # a worker's own language
        send_templated_email(
            to="siti@example.com",
            template="customer_otp",
            context={"code": "123456", "ttl_minutes": 5, "customer_name": "Siti"},
            merchant=shop,
        )
        assert translation.get_language() == "en"  # the override ends with the email
    [message] = mail.outbox
    assert message.subject == "123456 adalah kode masuk Anda untuk Kopi Kita"
    assert "Halo Siti," in message.body


@pytest.mark.django_db
def test_the_receipt_in_indonesian_writes_rupiah_the_indonesian_way():
    from orders.receipts import order_receipt_context
    from orders.selectors import order_queryset

    shop = MerchantFactory(language="id")
    order = OrderFactory(merchant=shop, total_amount=Decimal("51750.00"))
    order = order_queryset().select_related("merchant").get(pk=order.pk)
    with translation.override("id"):
        context = order_receipt_context(order=order, payments=[])
    assert context["total"] == "Rp 51.750"
