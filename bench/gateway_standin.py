"""A loopback stand-in for Midtrans, for the cluster soak: the product's real client library
talks to it through `MIDTRANS_SNAP_BASE_URL` and `MIDTRANS_API_BASE_URL`.

- `POST /snap/v1/transactions` answers a Snap token, remembers the order id and amount, and a
  moment later does what Midtrans does once the customer has paid: it POSTs a signed
  `settlement` notification to the product's webhook (every `DUPLICATE_EVERY`-th one twice, as
  Midtrans may), recording the answers; an answer other than 200 is tried again, as Midtrans
  does (here after 1, 2, 3, 4 s).
- `GET /v2/{order_id}/status` answers `settlement` for an order it issued, 404 otherwise.
- `POST /v2/{order_id}/cancel` and `/expire` answer the move for an order it issued.
"""

import hashlib
import json
import threading
import time
import urllib.request
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DUPLICATE_EVERY = 5
PAID_AFTER_SECONDS = 1.0
RETRIES = 4


def _signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    raw = f"{order_id}{status_code}{gross_amount}{server_key}"
    return hashlib.sha512(raw.encode()).hexdigest()


class GatewayStandIn:
    def __init__(self, *, port: int, server_key: str, webhook_url: str):
        self.port, self.server_key, self.webhook_url = port, server_key, webhook_url
        self.orders: dict[str, str] = {}  # order id → gross amount "35000.00"
        self.notification_answers: Counter = Counter()
        self.notification_retries = 0
        self.notifications_given_up = 0
        self.snap_calls = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())

    def __enter__(self) -> "GatewayStandIn":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.settle()
        self.server.shutdown()
        self.server.server_close()

    def settle(self, timeout: float = 30) -> None:
        """Wait for the notifications still on their way."""
        for thread in list(self._threads):
            thread.join(timeout)

    def status_payload(self, order_id: str, status: str = "settlement") -> dict:
        gross = self.orders[order_id]
        return {
            "status_code": "200",
            "status_message": "Success, transaction is found",
            "transaction_id": str(uuid.uuid5(uuid.NAMESPACE_URL, order_id)),
            "order_id": order_id,
            "gross_amount": gross,
            "currency": "IDR",
            "payment_type": "qris",
            "transaction_time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "transaction_status": status,
            "fraud_status": "accept",
            "merchant_id": "G-SOAK",
        }

    def _notify(self, order_id: str, times: int) -> None:
        time.sleep(PAID_AFTER_SECONDS)
        body = self.status_payload(order_id)
        body["signature_key"] = _signature(
            order_id, body["status_code"], body["gross_amount"], self.server_key
        )
        for _ in range(times):
            # Like Midtrans: an answer other than 200 is tried again later (here within
            # seconds, not minutes): the payment row may not be committed yet.
            for attempt in range(RETRIES + 1):
                status = self._post(body)
                with self._lock:
                    self.notification_answers[status] += 1
                    if status != 200 and attempt < RETRIES:
                        self.notification_retries += 1
                if status == 200:
                    break
                time.sleep(1 + attempt)
            else:
                with self._lock:
                    self.notifications_given_up += 1

    def _post(self, body: dict) -> int:
        request = urllib.request.Request(  # noqa: S310 - the soak's own load balancer
            self.webhook_url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                return

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") == "/snap/v1/transactions":
                    details = body["transaction_details"]
                    order_id = details["order_id"]
                    with standin._lock:
                        standin.orders[order_id] = f"{int(details['gross_amount'])}.00"
                        standin.snap_calls += 1
                        times = 2 if standin.snap_calls % DUPLICATE_EVERY == 0 else 1
                    token = str(uuid.uuid4())
                    redirect = f"http://127.0.0.1:{standin.port}/snap/v4/redirection/{token}"
                    self._answer(201, {"token": token, "redirect_url": redirect})
                    thread = threading.Thread(target=standin._notify, args=(order_id, times))
                    standin._threads.append(thread)
                    thread.start()
                    return
                parts = self.path.strip("/").split("/")
                if len(parts) == 3 and parts[0] == "v2" and parts[1] in standin.orders:
                    status = {"cancel": "cancel", "expire": "expire"}.get(parts[2])
                    if status:
                        self._answer(200, standin.status_payload(parts[1], status))
                        return
                self._answer(404, {"status_code": "404", "status_message": "not found"})

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                known = len(parts) == 3 and parts[1] in standin.orders
                if known and parts[0] == "v2" and parts[2] == "status":
                    self._answer(200, standin.status_payload(parts[1]))
                    return
                self._answer(
                    200, {"status_code": "404", "status_message": "Transaction doesn't exist."}
                )

        return Handler
