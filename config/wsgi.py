import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# The kiosk poll skips the middleware that only serves browsers (see photobox/wsgi.py).
from photobox.wsgi import with_kiosk_poll  # noqa: E402 - needs the apps loaded

application = with_kiosk_poll(application)
