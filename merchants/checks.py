"""System checks (`manage.py check`) for settings that other apps fill in."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


@register()
def check_dashboard_panels(app_configs, **kwargs) -> list[Error]:
    """Every entry of settings.DASHBOARD_PANELS is well formed and its selector importable."""
    from merchants.models import Merchant
    from merchants.reports import dashboard_panels

    try:
        panels = dashboard_panels()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="merchants.E001")]
    errors = []
    dedicated = getattr(settings, "DASHBOARD_DEDICATED_BUSINESS_TYPES", [])
    if not set(dedicated) <= set(Merchant.BusinessType.values):
        errors.append(
            Error(
                f"DASHBOARD_DEDICATED_BUSINESS_TYPES: {list(dedicated)} are not all of "
                f"{Merchant.BusinessType.values}.",
                id="merchants.E001",
            )
        )
    for panel in panels:
        try:
            selector = import_string(panel.selector)
        except ImportError as error:
            errors.append(Error(f"Dashboard panel {panel.name}: {error}", id="merchants.E002"))
            continue
        if not callable(selector):
            errors.append(
                Error(
                    f"Dashboard panel {panel.name}: {panel.selector} is not callable.",
                    id="merchants.E002",
                )
            )
    return errors


@register()
def check_dashboard_links(app_configs, **kwargs) -> list[Error]:
    """Every settings.DASHBOARD_LINKS entry is well formed and names a URL that exists."""
    from merchants.reports import dashboard_link

    errors = []
    for entry in getattr(settings, "DASHBOARD_LINKS", []):
        try:
            link = dashboard_link(entry)
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id="merchants.E003"))
            continue
        try:
            reverse(link.url_name)
        except NoReverseMatch:
            errors.append(
                Error(
                    f"Dashboard link {link.title}: no URL named {link.url_name!r}.",
                    id="merchants.E003",
                )
            )
    return errors
