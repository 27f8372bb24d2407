"""A local stand-in for Cloudinary's HTTP API, so tests run the real SDK without the network.

The `cloudinary_stub` fixture starts a tiny server in a thread and points `CLOUDINARY_URL` at it
(the SDK's `upload_prefix`); every request is recorded with its parsed form fields.
"""

import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

CLOUD = "demo-cloud"


@dataclass
class StubRequest:
    method: str
    path: str
    fields: dict[str, list[str]]
    files: dict[str, bytes] = field(default_factory=dict)

    def value(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None


class CloudinaryStub:
    def __init__(self):
        self.requests: list[StubRequest] = []
        # Answers for delete by prefix, consumed in order (the SDK repeats while partial).
        self.prefix_answers: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def cloudinary_url(self) -> str:
        return f"cloudinary://key123:secret456@{CLOUD}?upload_prefix={self.url}"

    def calls(self, suffix: str, method: str | None = None) -> list[StubRequest]:
        return [
            request
            for request in self.requests
            if request.path.endswith(suffix) and (method is None or request.method == method)
        ]

    def answer(self, request: StubRequest) -> tuple[int, dict]:
        if request.path.endswith("/image/upload") and request.method == "POST":
            public_id = request.value("public_id") or "generated"
            return 200, {
                "public_id": public_id,
                "version": 1700000000,
                "format": "png",
                "resource_type": "image",
                "secure_url": f"https://res.cloudinary.com/{CLOUD}/image/upload/{public_id}.png",
            }
        if request.path.endswith("/image/destroy"):
            return 200, {"result": "ok"}
        if "/resources/image/upload" in request.path and request.method == "DELETE":
            if self.prefix_answers:
                return 200, self.prefix_answers.pop(0)
            return 200, {"deleted": {}, "partial": False}
        if "/folders/" in request.path and request.method == "DELETE":
            return 200, {"deleted": [request.path.split("/folders/", 1)[1]]}
        return 404, {"error": {"message": f"stub: no route for {request.path}"}}

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urlparse(self.path)
                fields = {k: v for k, v in parse_qs(parsed.query).items()}
                files = {}
                content_type = self.headers.get("Content-Type", "")
                if content_type.startswith("multipart/form-data"):
                    message = BytesParser(policy=HTTP).parsebytes(
                        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
                    )
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        payload = part.get_payload(decode=True) or b""
                        if part.get_filename():
                            files[name] = payload
                        else:
                            fields.setdefault(name, []).append(payload.decode())
                elif content_type.startswith("application/x-www-form-urlencoded"):
                    for key, values in parse_qs(body.decode()).items():
                        fields.setdefault(key, []).extend(values)
                elif content_type.startswith("application/json") and body:
                    for key, value in json.loads(body).items():
                        fields.setdefault(key, []).append(value)
                request = StubRequest(self.command, parsed.path, fields, files)
                stub.requests.append(request)
                status, payload = stub.answer(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _handle

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cloudinary_stub(settings):
    """Cloudinary is the default storage, talking to a local stub that records every call."""
    with CloudinaryStub() as stub:
        settings.CLOUDINARY_URL = stub.cloudinary_url
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "merchants.storage.CloudinaryStorage"},
        }
        yield stub
