"""Seeds pricing policy version 1 with the defaults of semantics §10.1."""

from decimal import Decimal

from django.db import migrations

VERSION_1 = {
    "markup_low": Decimal("3.00"),
    "markup_medium": Decimal("4.00"),
    "markup_high": Decimal("5.00"),
    "adjustment_enterprise": Decimal("0.50"),
    "adjustment_mid_market": Decimal("0.00"),
    "adjustment_smb": Decimal("-0.50"),
    "adjustment_startup": Decimal("-1.00"),
    "minimum_price": Decimal("0.50"),
    "threshold_task": Decimal("55.00"),
    "threshold_subscription": Decimal("50.00"),
    "threshold_enterprise": Decimal("45.00"),
    "band_strong_pct": Decimal("70.00"),
    "band_healthy_pct": Decimal("55.00"),
}


def seed(apps, schema_editor):
    PricingPolicy = apps.get_model("pricing", "PricingPolicy")
    PricingPolicy.objects.get_or_create(
        version=1, defaults={**VERSION_1, "note": "Defaults (semantics §10.1)"}
    )


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
