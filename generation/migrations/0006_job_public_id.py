"""Jobs get a random public id (a UUID) for the API's URLs; existing jobs get one each."""
import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    Job = apps.get_model("generation", "Job")
    for job in Job.objects.only("pk").iterator():
        Job.objects.filter(pk=job.pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ("generation", "0005_upsample_kind"),
    ]

    operations = [
        # Nullable first: a default would give every existing row the same value.
        migrations.AddField(model_name="job", name="public_id", field=models.UUIDField(null=True, editable=False)),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="job",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
