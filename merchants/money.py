"""Currency rules: the one place that knows what an amount of a currency looks like.

Amounts are `Decimal` everywhere. What depends on the currency lives here and nowhere else:

- its unit (`currency_exponent`, `minor_unit`): the digits after the point that prices,
  totals and gateways use. That is ISO 4217's exponent (USD 2: cents; JPY, KRW and VND 0),
  except for the rupiah: ISO lists two digits for IDR, but no sen has circulated for decades,
  shops price in whole rupiah, and Midtrans and Xendit take whole rupiah on the wire, so the
  product treats IDR as having no minor unit;
- rounding to that unit (`quantize_money`, half up) and checking an amount fits it
  (`fits_currency`);
- the cash step (`cash_step`, `round_for_cash`): the smallest amount cash pays (IDR: 100,
  since no smaller coin is in use; elsewhere the unit);
- the integer a gateway expects (`to_minor_units`): IDR 46000 → 46000, JPY 25000 → 25000,
  USD 12.34 → 1234;
- writing an amount for people (`format_money`, `format_amount`): `Rp 46.000` in Indonesian,
  `IDR 46,000` in English, no `.00` for a currency without cents;
- which currencies a merchant may choose (`SUPPORTED_CURRENCIES`, `CURRENCY_CHOICES`).

Every money column stores two decimal places (`STORED_PLACES`) whatever the currency, and the
API writes amounts as decimal strings with those two places ("46000.00"): `quantize_money`
answers in that form, `money_str` writes it.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

STORED_PLACES = 2
CENT = Decimal("0.01")  # the quantum of every stored amount
DEFAULT_CURRENCY = "IDR"


@dataclass(frozen=True)
class Currency:
    code: str
    name: str  # translated when read (gettext_lazy)
    exponent: int  # digits after the point the product uses for this currency
    cash_step: Decimal  # the smallest amount cash can pay
    # How people who pay in it expect an amount written (one of LANGUAGES' keys), when nothing
    # else says which language to use (the receipt, until merchants choose their language).
    language: str = "en"

    @property
    def unit(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)


def _currency(code: str, name: str, exponent: int, **kwargs) -> Currency:
    kwargs.setdefault("cash_step", Decimal(1).scaleb(-exponent))
    return Currency(code=code, name=name, exponent=exponent, **kwargs)


# The currencies a merchant can choose, in the order the admin lists them.
SUPPORTED_CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        _currency(
            "IDR", gettext_lazy("Indonesian rupiah"), 0, cash_step=Decimal(100), language="id"
        ),
        _currency("SGD", gettext_lazy("Singapore dollar"), 2),
        _currency("MYR", gettext_lazy("Malaysian ringgit"), 2),
        _currency("THB", gettext_lazy("Thai baht"), 2),
        _currency("PHP", gettext_lazy("Philippine peso"), 2),
        _currency("VND", gettext_lazy("Vietnamese dong"), 0),
        _currency("USD", gettext_lazy("US dollar"), 2),
        _currency("EUR", gettext_lazy("Euro"), 2),
        _currency("AUD", gettext_lazy("Australian dollar"), 2),
        _currency("JPY", gettext_lazy("Japanese yen"), 0),
        _currency("KRW", gettext_lazy("South Korean won"), 0),
    )
}
CURRENCY_CHOICES = [
    (c.code, format_lazy("{} · {}", c.code, c.name)) for c in SUPPORTED_CURRENCIES.values()
]

# ISO 4217 codes with no minor unit, for amounts stored in a currency no longer offered (an old
# order's snapshot): they keep their own rule. Any other unknown code is taken to have cents.
_ISO_ZERO_EXPONENT = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND"}
    | {"VUV", "XAF", "XOF", "XPF"}
)

# Per language: (thousands separator, decimal separator, {currency: local symbol}).
LANGUAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "en": (",", ".", {}),
    "id": (".", ",", {"IDR": "Rp"}),
}
_FALLBACK_LANGUAGE = "en"


def currency_info(code: str) -> Currency:
    """The rules of `code` (any case). An unsupported code still gets ISO 4217's exponent, so
    amounts recorded in it stay readable; `is_supported_currency` says whether it is offered."""
    code = (code or "").strip().upper()
    known = SUPPORTED_CURRENCIES.get(code)
    if known is not None:
        return known
    return _currency(code, code, 0 if code in _ISO_ZERO_EXPONENT else STORED_PLACES)


def is_supported_currency(code: str) -> bool:
    return (code or "").strip().upper() in SUPPORTED_CURRENCIES


def currency_exponent(currency: str) -> int:
    """Digits after the point in amounts of `currency` (IDR 0, JPY 0, USD 2)."""
    return currency_info(currency).exponent


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` the product writes: 1 (IDR, JPY) or 0.01 (USD)."""
    return currency_info(currency).unit


def quantize_money(amount, currency: str) -> Decimal:
    """`amount` rounded half up to the unit of `currency`, written with the two stored places
    (IDR 22500.5 → 22501.00, USD 1.005 → 1.01)."""
    unit = minor_unit(currency)
    return _decimal(amount).quantize(unit, rounding=ROUND_HALF_UP).quantize(CENT)


def fits_currency(amount, currency: str) -> bool:
    """True when `amount` has no digit below the unit of `currency` (IDR 25000 yes,
    25000.50 no; USD 4.50 yes, 4.505 no)."""
    amount = _decimal(amount)
    return amount == amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def precision_rule(currency: str, *, what: str = "Amounts") -> str:
    """How amounts of `currency` are written, for a form's error, in the active language:
    "Prices in IDR are whole amounts (e.g. 25000, not 25000.50).". `what` is "Amounts" or
    "Prices" (each a whole sentence of its own, so each language words it its way)."""
    info = currency_info(currency)
    values = {"currency": info.code, "places": info.exponent}
    if what not in {"Amounts", "Prices"}:
        raise ValueError(f"precision_rule: what is 'Amounts' or 'Prices', not {what!r}.")
    if info.exponent == 0:
        if what == "Prices":
            text = gettext("Prices in %(currency)s are whole amounts (e.g. 25000, not 25000.50).")
        else:
            text = gettext("Amounts in %(currency)s are whole amounts (e.g. 25000, not 25000.50).")
    elif what == "Prices":
        text = gettext("Prices in %(currency)s have at most %(places)d decimal places (e.g. 4.50).")
    else:
        text = gettext(
            "Amounts in %(currency)s have at most %(places)d decimal places (e.g. 4.50)."
        )
    return text % values


def precision_problem(amount, currency: str) -> str | None:
    """What is wrong with `amount` as an amount of `currency` (a digit below its unit), or None
    when it fits, in the active language: "IDR amounts are whole numbers; 10.50 has a
    fraction."."""
    if fits_currency(amount, currency):
        return None
    info = currency_info(currency)
    values = {"currency": info.code, "places": info.exponent, "amount": amount}
    if info.exponent == 0:
        return (
            gettext("%(currency)s amounts are whole numbers; %(amount)s has a fraction.") % values
        )
    return (
        gettext("%(currency)s amounts have at most %(places)d decimal places; %(amount)s has more.")
        % values
    )


def cash_step(currency: str) -> Decimal:
    """The smallest amount cash pays in `currency` (IDR 100, USD 0.01)."""
    return currency_info(currency).cash_step


def round_for_cash(amount, currency: str) -> Decimal:
    """`amount` to the nearest cash step, half up (IDR 51750 → 51800), two stored places."""
    step = cash_step(currency)
    steps = (_decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * step).quantize(CENT)


def to_minor_units(amount, currency: str) -> int:
    """The integer a gateway expects for `amount`: IDR 150000.00 → 150000 (whole rupiah, what
    Midtrans and Xendit take), JPY 25000 → 25000, USD 12.34 → 1234.

    Raises ValueError for an amount below the currency's unit (IDR 10.50): a gateway would
    round it, and charge a different amount from the one recorded.
    """
    amount = _decimal(amount)
    problem = precision_problem(amount, currency)
    if problem is not None:
        raise ValueError(problem)
    return int(amount.scaleb(currency_exponent(currency)).to_integral_value())


def input_amount(amount, currency: str) -> Decimal:
    """An amount to prefill a form's input with, in the currency's own unit: IDR 46000 (not
    46000.00, two zeros a cashier would have to delete), USD 4.50."""
    return _decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def money_str(amount) -> str:
    """An amount as the API and exports write it: a decimal string with two places ("6000.00"),
    never a float; nothing (None, "") is zero."""
    return format(_decimal(amount or 0).quantize(CENT), "f")


def format_amount(amount, currency: str, *, language: str | None = None) -> str:
    """The number alone, for people: `46.000` (id), `46,000` (en), `4.50` (en, USD).

    `language` is a language code (`id`, `en-us`...); by default the active one. Rounded half up
    to the currency's unit; no decimals for a currency without cents.
    """
    info = currency_info(currency)
    thousands, point, _ = LANGUAGES[_language(language)]
    value = _decimal(amount).quantize(info.unit, rounding=ROUND_HALF_UP)
    digits = f"{abs(value):,.{info.exponent}f}"
    digits = digits.replace(",", "\0").replace(".", point).replace("\0", thousands)
    return f"-{digits}" if value < 0 else digits


def format_money(amount, currency: str, *, language: str | None = None) -> str:
    """An amount with its currency, for people: `Rp 46.000` (id), `IDR 46,000` (en),
    `USD 4.50` (en), `-Rp 5.000` for a negative amount.

    `language` as in `format_amount` (by default the active one). In a language that has a
    local symbol for the currency (Indonesian: Rp) the symbol is written, else the ISO code.
    """
    info = currency_info(currency)
    language = _language(language)
    label = LANGUAGES[language][2].get(info.code, info.code)
    number = format_amount(amount, info.code, language=language)
    sign, number = ("-", number[1:]) if number.startswith("-") else ("", number)
    return f"{sign}{label} {number}"


def money_format(currency: str, *, language: str | None = None) -> dict:
    """How `format_money` writes amounts of `currency` in `language` (by default the active
    one), as data for a page's script, so the browser writes money by the same rule:
    `{"currency": "IDR", "label": "Rp", "thousands": ".", "point": ",", "decimals": 0}`.

    The script writes `label`, a space and the number rounded to `decimals` places, grouped
    in thousands, with a leading `-` when negative (static/dashboard/dashboard.js).
    """
    info = currency_info(currency)
    language = _language(language)
    thousands, point, symbols = LANGUAGES[language]
    return {
        "currency": info.code,
        "label": symbols.get(info.code, info.code),
        "thousands": thousands,
        "point": point,
        "decimals": info.exponent,
    }


def _language(language: str | None) -> str:
    code = language or translation.get_language() or settings.LANGUAGE_CODE
    primary = code.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else _FALLBACK_LANGUAGE


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("Money is Decimal, never float: pass Decimal(str(value)) or a string.")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{value!r} is not an amount.") from None
