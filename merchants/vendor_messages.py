"""Words that packages we ship show in the admin but translate into no Indonesian of their own
(django-import-export has no `id` catalogue). Named here so makemessages keeps them in
locale/id, whose translations take precedence over every package's."""

from django.utils.translation import gettext_noop

VENDOR_MESSAGES = (
    gettext_noop("Import"),  # django-import-export: the list's import button
    gettext_noop("Export"),  # and its export button
)
