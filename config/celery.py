"""The Celery application. Workers: `celery -A config worker -Q gpu,default --pool solo`."""
import os

from celery import Celery

from config import broker  # noqa: F401 - registers the embedded broker's transport, atomicfs://

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("genius_loci")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
