from django.db import migrations


def create_default_policy(apps, schema_editor):
    NoticePolicy = apps.get_model("notify", "NoticePolicy")
    if not NoticePolicy.objects.exists():
        NoticePolicy.objects.create(name="default")


class Migration(migrations.Migration):

    dependencies = [
        ("notify", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_default_policy, migrations.RunPython.noop),
    ]
