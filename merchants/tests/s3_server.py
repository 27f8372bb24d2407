"""`s3_media`: media on an S3-compatible bucket served by moto's server on a free local port.

The real django-storages S3 backend and boto3 run against it over HTTP, as against S3 or MinIO.
The test is skipped, saying why, only when the server cannot start.
"""

import socket

import pytest

BUCKET = "pos-media-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:  # moto[server] is a dev dependency
        pytest.skip(f"moto's S3 server is not installed ({error}): pip install 'moto[server]'")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        server.start()
    except OSError as error:
        pytest.skip(f"moto's S3 server could not start on port {port}: {error}")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    objects = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    if objects:
        client.delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": item["Key"]} for item in objects]}
        )
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def s3_media(settings, s3_endpoint, s3_client):
    """The settings production derives from AWS_* variables (config/settings.py), on moto."""
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = CREDENTIALS["AWS_ACCESS_KEY_ID"]
    settings.AWS_SECRET_ACCESS_KEY = CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    settings.AWS_QUERYSTRING_AUTH = False
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_S3_FILE_OVERWRITE = False
    settings.AWS_S3_CUSTOM_DOMAIN = None
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    return s3_client


def bucket_keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))
