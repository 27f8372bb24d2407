"""Compare every product's stock with the sum of its stock movements; exit 1 on a difference."""

from django.core.management.base import BaseCommand, CommandError

from catalog.stock import stock_audit_differences


class Command(BaseCommand):
    help = "Check every product's stock against its stock ledger; exit 1 on a difference."

    def add_arguments(self, parser):
        parser.add_argument("--merchant", type=int, help="Only this merchant id.")

    def handle(self, *args, merchant=None, **options):
        differences = stock_audit_differences(merchant_id=merchant)
        for product, ledger in differences:
            self.stderr.write(
                f"{product.merchant.slug} · product {product.pk} {product.name}: stock "
                f"{product.stock}, ledger {ledger} (difference {product.stock - ledger:+d})"
            )
        if differences:
            raise CommandError(f"{len(differences)} product(s) differ from their stock ledger.")
        self.stdout.write("Stock matches the ledger for every product.")
