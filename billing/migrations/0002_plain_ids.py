"""Billing knows agents and providers by id only: the ledger's agent and a window's provider
become plain columns (the values stay; only the foreign-key constraints go), so billing no
longer depends on the agents app."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
    ]

    operations = [
        # The ledger's agent: same column (agent_id), no constraint, then named for what it is.
        migrations.AlterField(
            model_name="ledgerentry",
            name="agent",
            field=models.CharField(
                blank=True, db_column="agent_id", db_index=True, max_length=40, null=True
            ),
        ),
        migrations.RenameField(model_name="ledgerentry", old_name="agent", new_name="agent_id"),
        migrations.AlterField(
            model_name="ledgerentry",
            name="agent_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="The agent run it served.",
                max_length=40,
                null=True,
            ),
        ),
        # A window's provider: same values, no constraint, column `provider`.
        migrations.AlterField(
            model_name="providerwindow",
            name="provider",
            field=models.CharField(db_column="provider_id", max_length=40),
        ),
        migrations.AlterField(
            model_name="providerwindow",
            name="provider",
            field=models.CharField(help_text="Provider id, e.g. kimi-coding.", max_length=40),
        ),
    ]
