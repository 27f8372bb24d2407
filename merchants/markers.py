"""`gettext_noop` for modules that settings import (each app's panels.py): it marks a string
for makemessages and returns it as it is, without importing Django's translation machinery
before settings are read. The string is translated where it is shown (merchants/dashboard.py).
"""


def gettext_noop(message: str) -> str:
    return message
