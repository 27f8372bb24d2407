"""The currency rules, one currency of each kind: no minor unit (IDR as the product uses it, JPY,
KRW, VND) and cents (USD, SGD)."""

import json
import shutil
import subprocess
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from merchants import money

ZERO_DECIMAL = ["IDR", "JPY", "KRW", "VND"]
TWO_DECIMAL = ["USD", "SGD"]


class TestUnits:
    @pytest.mark.parametrize("code", ZERO_DECIMAL)
    def test_currencies_without_a_minor_unit(self, code):
        assert money.currency_exponent(code) == 0
        assert money.minor_unit(code) == D(1)
        assert money.quantize_money(D("25000.5"), code) == D("25001.00")
        assert str(money.quantize_money(D("25000.49"), code)) == "25000.00"  # stored form
        assert money.fits_currency(D("25000.00"), code)
        assert not money.fits_currency(D("25000.50"), code)

    @pytest.mark.parametrize("code", TWO_DECIMAL)
    def test_currencies_with_cents(self, code):
        assert money.currency_exponent(code) == 2
        assert money.minor_unit(code) == D("0.01")
        assert money.quantize_money(D("1.005"), code) == D("1.01")
        assert money.fits_currency(D("4.50"), code)
        assert not money.fits_currency(D("4.505"), code)

    def test_any_case_and_unsupported_codes_keep_their_iso_exponent(self):
        assert money.currency_exponent("jpy") == 0
        assert not money.is_supported_currency("CLP")
        assert money.currency_exponent("CLP") == 0  # an old snapshot in a code no longer offered
        assert money.currency_exponent("GBP") == 2

    def test_idr_is_first_and_every_choice_is_supported(self):
        codes = [code for code, _ in money.CURRENCY_CHOICES]
        assert codes[0] == "IDR" == money.DEFAULT_CURRENCY
        assert all(money.is_supported_currency(code) for code in codes)
        assert len(set(codes)) == len(codes)

    def test_floats_are_refused(self):
        with pytest.raises(TypeError, match="never float"):
            money.quantize_money(1.1, "USD")


class TestGatewayUnits:
    @pytest.mark.parametrize(
        ("amount", "code", "units"),
        [
            ("25000", "JPY", 25000),  # not 2,500,000
            ("25000.00", "KRW", 25000),
            ("46000.00", "IDR", 46000),  # whole rupiah: what Midtrans and Xendit take
            ("12.34", "USD", 1234),
            ("12.30", "SGD", 1230),
        ],
    )
    def test_to_minor_units(self, amount, code, units):
        assert money.to_minor_units(D(amount), code) == units

    @pytest.mark.parametrize(
        ("amount", "code", "message"),
        [("10.50", "IDR", "whole numbers"), ("1.5", "JPY", "whole numbers"), ("1.234", "USD", "2")],
    )
    def test_an_amount_below_the_unit_never_reaches_a_gateway(self, amount, code, message):
        with pytest.raises(ValueError, match=message):
            money.to_minor_units(D(amount), code)


class TestCash:
    @pytest.mark.parametrize(
        ("amount", "code", "rounded"),
        [
            ("51750", "IDR", "51800.00"),  # no coin below 100 rupiah
            ("51749", "IDR", "51700.00"),
            ("1234", "JPY", "1234.00"),
            ("12.345", "USD", "12.35"),
        ],
    )
    def test_round_for_cash(self, amount, code, rounded):
        assert str(money.round_for_cash(D(amount), code)) == rounded

    def test_cash_steps(self):
        assert money.cash_step("IDR") == D(100)
        assert money.cash_step("JPY") == D(1)
        assert money.cash_step("USD") == D("0.01")


class TestFormatting:
    @pytest.mark.parametrize(
        ("amount", "code", "language", "text"),
        [
            ("46000", "IDR", "id", "Rp 46.000"),
            ("46000", "IDR", "en", "IDR 46,000"),
            ("46000.00", "IDR", "en-us", "IDR 46,000"),  # no .00 without cents
            ("1234567", "JPY", "en", "JPY 1,234,567"),
            ("1234567", "JPY", "id", "JPY 1.234.567"),
            ("1234.5", "USD", "en", "USD 1,234.50"),
            ("1234.5", "USD", "id", "USD 1.234,50"),
            ("12", "SGD", "en", "SGD 12.00"),
            ("-5000", "IDR", "id", "-Rp 5.000"),
            ("0", "IDR", "id", "Rp 0"),
            ("46000", "IDR", "fr", "IDR 46,000"),  # a language without rules: English's
        ],
    )
    def test_format_money(self, amount, code, language, text):
        assert money.format_money(D(amount), code, language=language) == text

    def test_format_amount_has_no_currency(self):
        assert money.format_amount(D("46000"), "IDR", language="id") == "46.000"
        assert money.format_amount(D("4.5"), "USD", language="en") == "4.50"

    def test_the_active_language_by_default(self):
        with translation.override("id"):
            assert money.format_money(D("46000"), "IDR") == "Rp 46.000"
        with translation.override("en"):
            assert money.format_money(D("46000"), "IDR") == "IDR 46,000"

    def test_money_str_is_what_the_api_writes(self):
        assert money.money_str(D("6000")) == "6000.00"
        assert money.money_str(None) == "0.00"
        assert money.money_str(7) == "7.00"


def test_template_filters():
    from django.template import Context, Template

    template = Template("{% load money %}{{ a|money:c }} · {{ a|amount:c }}")
    with translation.override("id"):
        assert template.render(Context({"a": D("46000"), "c": "IDR"})) == "Rp 46.000 · 46.000"
    with translation.override("en"):
        assert template.render(Context({"a": D("4.5"), "c": "USD"})) == "USD 4.50 · 4.50"


# --- the same rule in the browser ------------------------------------------------------------

STATIC = Path(settings.BASE_DIR) / "static"
WRITTEN = [  # (amount, currency, language, what format_money writes)
    ("46000", "IDR", "id", "Rp 46.000"),
    ("1250000.00", "IDR", "en", "IDR 1,250,000"),
    ("22500.5", "IDR", "id", "Rp 22.501"),
    ("1234567", "JPY", "id", "JPY 1.234.567"),
    ("1234.5", "USD", "en", "USD 1,234.50"),
    ("1234.5", "USD", "id", "USD 1.234,50"),
    ("-5000", "IDR", "id", "-Rp 5.000"),
    ("0", "IDR", "id", "Rp 0"),
    ("999", "IDR", "en", "IDR 999"),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page scripts")
def test_the_pages_script_writes_money_as_format_money_does():
    """The till and the dashboard write money with one script (static/backoffice/money.js) from
    `money_format`, handed to the page in the reader's language: run here, it gives
    format_money's text."""
    cases = [
        {"value": amount, "rule": money.money_format(code, language=language)}
        for amount, code, language, _text in WRITTEN
    ]
    program = (
        (STATIC / "backoffice" / "money.js").read_text()
        + "const cases = JSON.parse(process.argv[1]);\n"
        + "console.log(JSON.stringify(cases.map((c) => PosMoney.money(c.rule, c.value))));\n"
    )
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        ["node", "-e", program, json.dumps(cases)],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    server = [money.format_money(D(a), c, language=lang) for a, c, lang, _text in WRITTEN]
    assert server == [text for _amount, _code, _language, text in WRITTEN]
    assert json.loads(result.stdout) == server


@pytest.mark.parametrize(
    ("template", "page_script"),
    [("admin/index.html", "dashboard/dashboard.js"), ("till/till.html", "till/till.js")],
)
def test_each_page_loads_the_money_script_before_its_own(template, page_script):
    """Scripts marked `defer` run in document order: the page's script finds PosMoney."""
    text = (Path(settings.BASE_DIR) / "templates" / template).read_text()
    shared = text.index("{% static 'backoffice/money.js' %}")
    assert shared < text.index(f"{{% static '{page_script}' %}}")
    assert "PosMoney.money(" in (STATIC / page_script).read_text()


def test_input_amount_is_what_a_person_types():
    assert str(money.input_amount(D("46000.00"), "IDR")) == "46000"
    assert str(money.input_amount(D("4.5"), "USD")) == "4.50"
    assert str(money.input_amount(D("1000.00"), "JPY")) == "1000"
