from django.db import migrations, models


def mark_fixed_income(apps, schema_editor):
    """Fixed income (and any class under it) was located by its label before; say so."""
    AssetClass = apps.get_model("portfolios", "AssetClass")
    marked = set(
        AssetClass.objects.filter(slug="fixed-income").values_list("pk", flat=True)
    )
    while marked:
        AssetClass.objects.filter(pk__in=marked).update(prefers_tax_deferred=True)
        marked = set(AssetClass.objects.filter(parent__in=marked).values_list("pk", flat=True))


class Migration(migrations.Migration):
    dependencies = [
        ("portfolios", "0006_proposal_batches"),
    ]

    operations = [
        migrations.AddField(
            model_name="assetclass",
            name="prefers_tax_deferred",
            field=models.BooleanField(
                default=False,
                help_text="Asset location: in a household, buy it in tax-deferred accounts "
                "first (bonds and other income that is taxed as it is paid).",
            ),
        ),
        migrations.RunPython(mark_fixed_income, migrations.RunPython.noop),
    ]
