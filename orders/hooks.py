"""Steps other apps attach to order life-cycle moments, without orders importing them.

`order_cancelled` receivers take the order id and run after the cancelling transaction
commits (for example: cancel a charge still open at the payment gateway).
"""

from collections.abc import Callable

order_cancelled: list[Callable[[int], None]] = []
