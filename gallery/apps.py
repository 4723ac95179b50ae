from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = "Gallery"

    def ready(self):
        from . import admin  # noqa: F401 - registers the admin pages (no autodiscovery, see settings)
