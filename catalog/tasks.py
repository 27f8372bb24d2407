"""Celery entry points of the catalog: thin, ids only."""

from celery import shared_task

from catalog import selectors, services
from merchants.emails import EMAIL_TASK_OPTIONS


@shared_task(**EMAIL_TASK_OPTIONS)
def low_stock_alert_send_task(merchant_id: int) -> bool:
    """Email one merchant's owners what is low today; a second delivery sends nothing."""
    return services.low_stock_alert_send(merchant_id=merchant_id)


@shared_task
def low_stock_alerts_queue_task() -> int:
    """Beat, daily: queue one alert email per merchant with something running out."""
    merchant_ids = selectors.merchant_ids_with_low_stock()
    for merchant_id in merchant_ids:
        low_stock_alert_send_task.delay(merchant_id)
    return len(merchant_ids)
