from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = "Generation"

    def ready(self):
        from . import admin  # noqa: F401 - registers the admin pages (no autodiscovery, see settings)
