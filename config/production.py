"""What a production start (DEBUG off) must be given, read by settings before anything else."""

from collections.abc import Mapping

# Secrets have no safe default: required whenever DEBUG is off.
REQUIRED_SECRETS = ("SECRET_KEY", "CUSTOMER_JWT_SECRET")
# Services and keys with an embedded default that is wrong for production.
REQUIRED_SERVICES = ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "FIELD_ENCRYPTION_KEYS")
# Either of these names the media store (Cloudinary, else an S3-compatible bucket).
MEDIA_STORES = ("CLOUDINARY_URL", "AWS_STORAGE_BUCKET_NAME")


def missing_production_settings(environ: Mapping[str, str], *, embedded: bool) -> list[str]:
    """The variables a DEBUG-off start lacks, in the order an operator fills them in.

    `embedded=True` (ALLOW_EMBEDDED_DEFAULTS) asks only for the secrets.
    """

    def given(name: str) -> bool:
        return bool(environ.get(name, "").strip())

    if embedded:
        return [name for name in REQUIRED_SECRETS if not given(name)]
    names = [*REQUIRED_SERVICES[:3], *REQUIRED_SECRETS, *REQUIRED_SERVICES[3:]]
    missing = [name for name in names if not given(name)]
    if not any(given(name) for name in MEDIA_STORES):
        missing.append(f"a media store ({' or '.join(MEDIA_STORES)})")
    return missing
