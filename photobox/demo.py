"""Demo kiosks for Foto Ceria: PB-001 (key `demo-kiosk-PB-001`) and PB-002, two packages.

Sessions at PB-001 (rewritten as below on every seed): one paid with emailed photos and a
working gallery link, one paid and waiting for its photos (try the upload), one expired
unpaid, one pending. The photos are small JPEGs drawn here and stored through the configured
media storage. Two weeks of earlier sales at both kiosks (`HISTORY`, at the same local times
of day before every seed's today) feed the dashboard's kiosk charts.
"""

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image, ImageDraw

from merchants.models import Merchant
from photobox import services
from photobox.auth import kiosk_key_hash
from photobox.models import KioskLocation, KioskPrice, Photo, PhotoSession
from photobox.selectors import gallery_url

DEMO_KIOSK_KEY = "demo-kiosk-PB-001"  # a documented demo credential, demo data only
Status = PhotoSession.Status
COLORS = [(236, 72, 153), (59, 130, 246), (16, 185, 129), (245, 158, 11)]
# Earlier sales: (kiosk, local days before today, local time, package: 0 basic / 1 big, status)
HISTORY = [
    ("PB-001", 2, "10:15", 0, Status.COMPLETED),
    ("PB-001", 2, "16:40", 1, Status.COMPLETED),
    ("PB-001", 3, "13:05", 0, Status.EXPIRED),
    ("PB-001", 4, "11:20", 0, Status.COMPLETED),
    ("PB-001", 5, "19:45", 1, Status.COMPLETED),
    ("PB-001", 6, "14:30", 0, Status.FAILED),
    ("PB-001", 7, "12:10", 0, Status.COMPLETED),
    ("PB-001", 9, "18:00", 1, Status.COMPLETED),
    ("PB-001", 11, "15:25", 0, Status.COMPLETED),
    ("PB-001", 13, "20:50", 0, Status.EXPIRED),
    ("PB-002", 2, "08:35", 0, Status.COMPLETED),
    ("PB-002", 3, "17:15", 0, Status.EXPIRED),
    ("PB-002", 5, "09:40", 1, Status.COMPLETED),
    ("PB-002", 8, "18:30", 0, Status.FAILED),
    ("PB-002", 10, "12:45", 0, Status.COMPLETED),
    ("PB-002", 12, "16:05", 1, Status.COMPLETED),
]


def _jpeg(index: int) -> bytes:
    """A 640x480 picture with a frame and a few shapes (a stand-in for a real photo)."""
    color = COLORS[index % len(COLORS)]
    image = Image.new("RGB", (640, 480), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((24, 24, 615, 455), outline=(255, 255, 255), width=12)
    draw.ellipse((220, 120, 420, 320), fill=(255, 255, 255))
    draw.rectangle((160, 340, 480, 380), fill=(255, 255, 255))
    draw.text((40, 40), f"Foto Ceria demo {index + 1}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _stored(photo: Photo) -> bool:
    storage = photo.file.storage
    # Cloudinary and S3 are trusted (asking costs a request per file); local files are checked.
    return not isinstance(storage, FileSystemStorage) or storage.exists(photo.file.name)


def _ensure_photos(session: PhotoSession, count: int) -> None:
    photos = list(session.photos.all())
    if len(photos) == count and all(_stored(photo) for photo in photos):
        return
    session.photos.all().delete()
    for index in range(count):
        data = _jpeg(index)
        name = default_storage.save(
            f"photobox/{session.external_id}/{index + 1:02d}-demo.jpg", ContentFile(data)
        )
        Photo.objects.create(
            session=session, file=name, size=len(data), width=640, height=480, order=index + 1
        )


def _session(location, price, suffix: str, *, created, **fields) -> PhotoSession:
    """The demo session ending in `suffix`, created once and then rewritten in place."""
    session = PhotoSession.objects.filter(
        location=location, external_id__endswith=f"-{suffix}"
    ).first()
    local = timezone.localtime(created, location.merchant.tzinfo)
    values = {
        "merchant": location.merchant,
        "price": price,
        "amount": price.amount,
        "currency": location.merchant.currency,
        "business_date": local.date(),
        "paid_at": None,
        "photos_uploaded_at": None,
        "email_sent_at": None,
        "email_send_count": 0,
        "photos_expire_at": None,
        "photos_cleaned_at": None,
        "qr_string": "00020101021226620014COM.GO-JEK.WWW0118DEMO0000000000000006304DEMO",
        **fields,
    }
    if session is None:
        session = PhotoSession.objects.create(
            location=location,
            external_id=f"TRX-{location.pk}-{local:%Y%m%d%H%M%S}-{suffix}",
            **values,
        )
    else:
        PhotoSession.objects.filter(pk=session.pk).update(**values)
        session.refresh_from_db()
    PhotoSession.objects.filter(pk=session.pk).update(created_at=created)
    return session


def _kiosk(merchant: Merchant, machine_code: str, name: str, address: str) -> KioskLocation:
    location = KioskLocation.objects.filter(machine_code=machine_code).first()
    if location is None:
        location = KioskLocation(merchant=merchant, machine_code=machine_code)
    location.merchant, location.name, location.is_active = merchant, name, True
    location.address = address
    if location.pk is None:
        services.kiosk_location_assign_key(location=location)
    location.save()
    return location


def _history(kiosks: dict[str, KioskLocation], prices: list[KioskPrice], now: datetime) -> None:
    """The sales of `HISTORY`, each at its local time that many days before today."""
    merchant = prices[0].merchant
    today = timezone.localtime(now, merchant.tzinfo).date()
    for index, (code, days_ago, at, package, status) in enumerate(HISTORY):
        hour, minute = map(int, at.split(":"))
        created = datetime.combine(
            today - timedelta(days=days_ago), time(hour, minute), tzinfo=merchant.tzinfo
        )
        paid = {"paid_at": created + timedelta(minutes=1), "gateway": "midtrans"}
        _session(
            kiosks[code],
            prices[package],
            f"de01{index:04x}",
            created=created,
            email=f"guest{index + 1}@example.com",
            status=status,
            expires_at=created + timedelta(minutes=15),
            **(paid if status == Status.COMPLETED else {}),
        )


def seed(stdout) -> None:
    foto = Merchant.objects.filter(slug="foto-ceria").first()
    if foto is None:
        return
    location = _kiosk(foto, "PB-001", "Foto Ceria · Mall Kota", "Jl. Merdeka 1, Lantai 2, Bandung")
    if location.key_hash != kiosk_key_hash(DEMO_KIOSK_KEY):
        services.kiosk_location_set_key(location=location, key=DEMO_KIOSK_KEY)
    station = _kiosk(foto, "PB-002", "Foto Ceria · Stasiun Hall", "Jl. Kebon Kawung 43, Bandung")

    basic, _ = KioskPrice.objects.update_or_create(
        merchant=foto,
        description=gettext("Photo session · 4 shots, 1 print"),
        defaults={"amount": Decimal(40000), "quota": 100, "is_active": True, "sort_order": 10},
    )
    big, _ = KioskPrice.objects.update_or_create(
        merchant=foto,
        description=gettext("Photo session · 8 shots, 2 prints"),
        defaults={"amount": Decimal(60000), "quota": None, "is_active": True, "sort_order": 20},
    )

    now = timezone.now()
    day_ago = now - timedelta(days=1)
    emailed = _session(
        location,
        basic,
        "de000001",
        created=day_ago - timedelta(minutes=5),
        email="rina@example.com",
        send_invoice=True,
        status=Status.COMPLETED,
        gateway="midtrans",
        paid_at=day_ago - timedelta(minutes=4),
        photos_uploaded_at=day_ago,
        email_sent_at=day_ago,
        email_send_count=1,
        photos_expire_at=day_ago + timedelta(days=14),
        expires_at=day_ago + timedelta(minutes=10),
    )
    _ensure_photos(emailed, 4)
    ready = _session(
        location,
        basic,
        "de000002",
        created=now - timedelta(minutes=3),
        email="dimas@example.com",
        status=Status.COMPLETED,
        gateway="midtrans",
        paid_at=now - timedelta(minutes=2),
        expires_at=now + timedelta(minutes=12),
    )
    ready.photos.all().delete()  # ready for an upload on every seed
    _session(
        location,
        basic,
        "de000003",
        created=now - timedelta(hours=2),
        email="sari@example.com",
        status=Status.EXPIRED,
        expires_at=now - timedelta(hours=2) + timedelta(minutes=15),
    )
    pending = _session(
        location,
        basic,
        "de000004",
        created=now,
        email="budi@example.com",
        status=Status.PENDING,
        expires_at=now + timedelta(minutes=15),
    )
    _history({"PB-001": location, "PB-002": station}, [basic, big], now)
    # Paid or waiting sessions hold a unit of their package; expired and failed ones gave it
    # back.
    for price in (basic, big):
        KioskPrice.objects.filter(pk=price.pk).update(
            quota_used=PhotoSession.objects.filter(price=price)
            .filter(Q(status=Status.PENDING) | Q(status=Status.COMPLETED))
            .count()
        )
    stdout.write(
        f"  photobox: kiosks PB-001 (X-Kiosk-Key {DEMO_KIOSK_KEY}) and PB-002 at Foto Ceria, "
        f"2 packages, {4 + len(HISTORY)} sessions\n"
        f"    gallery: {gallery_url(emailed)}\n"
        f"    poll {pending.external_id} (pending), upload to {ready.external_id} (paid)"
    )
