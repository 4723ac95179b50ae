"""The `curators` group, with the permissions to manage exhibitions in the admin.

The permissions are created here rather than left to post_migrate, so that the group is
complete as soon as this migration has run.
"""
from django.db import migrations

CURATORS = "curators"
# model name -> actions the group may take on it
GRANTS = {
    "exhibition": ("add", "change", "delete", "view"),
    "exhibitionitem": ("add", "change", "delete", "view"),
    "favourite": ("add", "delete", "view"),
    "artwork": ("view",),
}


def create_curators(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=CURATORS)
    for model, actions in GRANTS.items():
        content_type, _ = ContentType.objects.get_or_create(app_label="gallery", model=model)
        verbose_name = apps.get_model("gallery", model)._meta.verbose_name
        for action in actions:
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}", defaults={"name": f"Can {action} {verbose_name}"}
            )
            group.permissions.add(permission)


def delete_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=CURATORS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("gallery", "0004_exhibitions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators, delete_curators)]
