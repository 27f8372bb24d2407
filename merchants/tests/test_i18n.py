"""The product in Indonesian and English: who reads which language, money and times."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from merchants.actors import SYSTEM
from merchants.login_guard import lock_message
from merchants.models import StaffProfile
from merchants.money import CURRENCY_CHOICES, precision_problem, precision_rule
from merchants.reports import dashboard_panels
from merchants.tests.factories import MerchantFactory
from orders.tests.factories import OrderFactory
from payments.models import PaymentMethod
from payments.shifts import shift_close
from payments.tests.factories import PaymentMethodFactory, ShiftFactory

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
    assert "waktu dalam Asia/Jakarta" in page  # the dashboard's heading
    assert "Pendapatan per hari, 30 hari terakhir" in page  # a panel's title
    assert "Memuat…" in page  # the dashboard's panels loading
    assert "Run your shop" not in page
    assert "Revenue per day" not in page
    script = dashboard_script_data(page)  # what the dashboard's script writes
    assert script["strings"]["empty_chart"] == "Belum ada penjualan."
    assert script["strings"]["failed"] == "Gagal memuat: %(reason)s"
    assert script["money"] == {
        "currency": "IDR",
        "label": "Rp",
        "thousands": ".",
        "point": ",",
        "decimals": 0,
    }


def dashboard_script_data(page: str) -> dict:
    found = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page)
    assert found, "the dashboard's data for its script is missing"
    return json.loads(found.group(1))


def test_the_dashboards_script_writes_money_in_english_the_english_way(owner_admin, merchant):
    merchant.currency = "USD"
    merchant.save(update_fields=["currency"])
    page = owner_admin.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    script = dashboard_script_data(page)
    assert script["money"] == {
        "currency": "USD",
        "label": "USD",
        "thousands": ",",
        "point": ".",
        "decimals": 2,
    }
    assert script["strings"]["empty_chart"] == "No sales yet."


@pytest.mark.parametrize(
    ("language", "label", "thousands"), [("id", "Rp", "."), ("en", "IDR", ",")]
)
def test_the_till_writes_money_in_the_cashiers_language(owner_admin, language, label, thousands):
    page = owner_admin.get("/till/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    found = re.search(r'<script id="till-menu" type="application/json">(.*?)</script>', page)
    rule = json.loads(found.group(1))["merchant"]["money"]
    assert (rule["label"], rule["thousands"], rule["decimals"]) == (label, thousands, 0)


def test_a_panel_answers_in_indonesian(owner_admin, orders):
    url = reverse("api:report-panel", kwargs={"name": "revenue-per-day"})
    answer = owner_admin.get(url, HTTP_X_MERCHANT="kopi-test", HTTP_ACCEPT_LANGUAGE="id").json()
    assert answer["title"] == "Pendapatan per hari, 30 hari terakhir"
    assert answer["datasets"][0]["label"] == "Pendapatan bersih"
    listed = owner_admin.get(
        reverse("api:report-panel-list"), HTTP_X_MERCHANT="kopi-test", HTTP_ACCEPT_LANGUAGE="id"
    ).json()
    assert listed[0]["title"] == "Pendapatan per hari, 30 hari terakhir"


@pytest.mark.parametrize("panel", dashboard_panels(), ids=lambda panel: panel.name)
def test_every_panel_has_its_words_in_indonesian(owner_admin, orders, panel):
    """Titles, dataset labels, column labels and notes: none stays English (a new panel
    with a bare English label fails here). Names of things (SKU) read the same."""
    url = reverse("api:report-panel", kwargs={"name": panel.name})
    english, indonesian = (
        owner_admin.get(url, HTTP_X_MERCHANT="kopi-test", HTTP_ACCEPT_LANGUAGE=language).json()
        for language in ("en", "id")
    )
    assert indonesian["title"] != english["title"]
    for words in ("datasets", "columns"):
        pairs = zip(english[words], indonesian[words], strict=True)
        same = [en["label"] for en, id_ in pairs if en["label"] == id_["label"] != "SKU"]
        assert not same, f"{panel.name}: {words} labels still in English: {same}"
    assert not english["note"] or indonesian["note"] != english["note"]


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


def test_months_are_written_in_the_readers_language(owner_admin, orders, merchant):
    """strftime writes English months whatever the language: the list, the receipt and the
    kitchen ticket go through Django's date format instead."""
    from orders.receipts import format_moment

    order = orders[0]
    order.created_at = datetime(2026, 12, 4, 3, 58, tzinfo=UTC)
    order.save(update_fields=["created_at"])
    page = owner_admin.get(ORDERS, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "04 Des 10:58" in page
    assert "Dec" not in page
    assert "04 Dec 10:58" in owner_admin.get(ORDERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with translation.override("id"):
        assert format_moment(datetime(2026, 5, 5, 3, 20, tzinfo=UTC), merchant.tzinfo) == (
            "5 Mei 2026, 10:20"
        )


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


def test_the_list_says_which_zone_its_times_are_in(owner_admin, orders, merchant, settings):
    # Not the server's zone (Asia/Jakarta), so the note cannot be right by chance.
    assert settings.TIME_ZONE == "Asia/Jakarta"
    merchant.time_zone = "Asia/Makassar"
    merchant.save(update_fields=["time_zone"])
    order = orders[0]
    order.created_at = datetime(2026, 5, 5, 2, 5, tzinfo=UTC)
    order.save(update_fields=["created_at"])
    page = owner_admin.get(ORDERS).content.decode()
    assert "Times in Asia/Makassar" in page
    assert "10:05" in page  # 02:05 UTC in Makassar (WITA), not 09:05 in Jakarta


@pytest.mark.django_db
def test_an_empty_list_is_in_its_merchants_zone(client, owner, merchant, other_merchant, operator):
    merchant.time_zone = "Asia/Makassar"
    merchant.save(update_fields=["time_zone"])
    client.force_login(owner)  # one merchant, no orders yet
    assert "Times in Asia/Makassar" in client.get(ORDERS).content.decode()
    # The operator's empty list filtered on a merchant: that merchant's zone; unfiltered, the
    # server's (the merchants may differ).
    client.force_login(operator)
    page = client.get(ORDERS, {"merchant__id__exact": merchant.pk}).content.decode()
    assert "Times in Asia/Makassar" in page
    assert "Times in Asia/Jakarta" in client.get(ORDERS).content.decode()


@pytest.mark.django_db
def test_someone_elses_merchant_in_the_filter_says_nothing_of_its_zone(client, owner, merchant):
    shop = MerchantFactory(time_zone="Asia/Jayapura")
    client.force_login(owner)
    page = client.get(ORDERS, {"merchant__id__exact": shop.pk}).content.decode()
    assert "Asia/Jayapura" not in page


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


def test_shift_money_in_the_admin_reads_as_money(owner_admin, merchant):
    shift = ShiftFactory(merchant=merchant, register="main")
    shift_close(shift=shift, actor=SYSTEM, counted_cash=Decimal("195000"))
    pages = [
        owner_admin.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="id").content.decode()
        for name, args in (
            ("admin:payments_shift_changelist", []),
            ("admin:payments_shift_change", [shift.pk]),
        )
    ]
    for page in pages:
        assert "Rp 200.000" in page  # opening and expected cash
        assert "Rp 195.000" in page  # counted
        assert "-Rp 5.000" in page  # the difference
        assert "200000,00" not in page
        assert "200000.00" not in page


@pytest.mark.parametrize(
    ("currency", "due", "shown"), [("IDR", "46000.00", "46000"), ("USD", "4.50", "4.50")]
)
def test_the_order_pages_forms_prefill_amounts_as_people_type_them(
    owner_admin, merchant, currency, due, shown
):
    merchant.currency = currency
    merchant.save(update_fields=["currency"])
    order = OrderFactory(merchant=merchant, currency=currency, total_amount=Decimal(due))
    card = PaymentMethodFactory(merchant=merchant, kind=PaymentMethod.Kind.CARD, name="EDC")
    take = reverse("admin:orders_order_take_payment", args=[order.pk])
    page = owner_admin.get(take).content.decode()
    assert f'name="amount" value="{shown}"' in page
    response = owner_admin.post(take, {"payment_method": card.pk, "amount": shown})
    assert response.status_code == 302
    page = owner_admin.get(reverse("admin:orders_order_refund", args=[order.pk])).content.decode()
    assert f'name="amount" value="{shown}"' in page


@pytest.mark.django_db
def test_an_unknown_api_address_answers_in_indonesian(api_client):
    response = api_client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "Endpoint ini tidak ada.",
        "details": {},
    }


def test_a_missing_role_is_explained_in_indonesian(officer_client):
    url = reverse("api:report-panel", kwargs={"name": "revenue-per-day"})  # owners only
    response = officer_client.get(url, HTTP_X_MERCHANT="kopi-test", HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Ini memerlukan peran pemilik di Kopi Test; peran Anda petugas."
    )


def test_field_errors_in_details_follow_accept_language(owner_client, merchant):
    response = owner_client.post(
        "/api/v1/staff/invitations",
        {"email": "siti@example.com", "role": "officer"},
        format="json",
        HTTP_X_MERCHANT="kopi-test",
    )
    assert response.status_code == 201, response.content
    again = owner_client.post(
        "/api/v1/staff/invitations",
        {"email": "siti@example.com", "role": "officer"},
        format="json",
        HTTP_X_MERCHANT="kopi-test",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert again.status_code == 409
    assert again.json()["error"]["details"] == {"email": ["Sudah diundang."]}


def test_messages_built_from_numbers_and_rules_are_whole_indonesian_sentences():
    with translation.override("id"):
        assert lock_message(90) == (
            "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam 2 menit."
        )
        assert precision_rule("IDR", what="Prices") == (
            "Harga dalam IDR berupa bilangan bulat (mis. 25000, bukan 25000.50)."
        )
        assert precision_problem(Decimal("10.50"), "IDR") == (
            "Jumlah IDR berupa bilangan bulat; 10.50 punya pecahan."
        )
        assert dict(CURRENCY_CHOICES)["IDR"] == "IDR · Rupiah Indonesia"
    with translation.override("en"):
        assert lock_message(30) == "Too many failed logins; try again in 1 minute."
        assert lock_message(600) == "Too many failed logins; try again in 10 minutes."
        assert dict(CURRENCY_CHOICES)["IDR"] == "IDR · Indonesian rupiah"


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
