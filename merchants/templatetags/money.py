"""`{% load money %}`: amounts for people, in the active language (`merchants.money`).

{{ session.amount|money:session.currency }}       IDR 40,000 (en) · Rp 40.000 (id)
{{ report.figures.total|amount:currency }}        40,000 (en) · 40.000 (id), no code
"""

from django import template

from merchants.money import format_amount, format_money

register = template.Library()


@register.filter(name="money")
def money_filter(value, currency: str) -> str:
    return "" if value in (None, "") else format_money(value, currency)


@register.filter(name="amount")
def amount_filter(value, currency: str) -> str:
    return "" if value in (None, "") else format_amount(value, currency)
