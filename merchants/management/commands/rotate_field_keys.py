"""Re-encrypt every stored secret with the first of FIELD_ENCRYPTION_KEYS."""

from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from merchants.crypto import encrypted_fields, get_fernet, stored_ciphertexts


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first FIELD_ENCRYPTION_KEYS key (any listed "
        "key may decrypt). Afterwards the other keys can be removed. Values no key decrypts are "
        "left as they are and listed; the command then exits with an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count; write nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        fernet = get_fernet()
        rotated, unreadable = 0, []
        with transaction.atomic():
            for model, names in encrypted_fields():
                for pk, tokens in stored_ciphertexts(model, names):
                    changes = {}
                    for name, token in tokens.items():
                        if not token:
                            continue
                        try:
                            changes[name] = fernet.decrypt(token.encode()).decode()
                        except InvalidToken:
                            unreadable.append(f"{model._meta.label} {pk} {name}")
                    if changes and not dry_run:
                        # The field encrypts the clear value again, with the first key.
                        model._default_manager.filter(pk=pk).update(**changes)
                    rotated += len(changes)
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{verb} {rotated} stored secret(s) with the first key.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} stored secret(s) could not be decrypted with any configured "
                "key and were left as they are: " + "; ".join(unreadable)
            )
