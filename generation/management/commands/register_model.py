from django.core.management.base import BaseCommand, CommandError

from generation.services import ModelRegistrationError, model_version_register


class Command(BaseCommand):
    help = (
        "Register a model folder (weights.safetensors + config.json) after loading it and painting its sample "
        "grid; optionally activate it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the model folder")
        parser.add_argument("--name", help="a name for this version (default: the folder's name)")
        parser.add_argument("--activate", action="store_true", help="make it the model that serves its kind")
        parser.add_argument(
            "--no-metrics", action="store_true", help="skip the oracle's metrics (computed when ml.eval provides them)"
        )

    def handle(self, *args, path: str, name: str | None, activate: bool, no_metrics: bool, **options):
        try:
            version = model_version_register(folder=path, name=name, activate=activate, metrics=not no_metrics)
        except ModelRegistrationError as error:
            raise CommandError(str(error)) from None
        state = "active" if version.is_active else "registered, not active"
        self.stdout.write(self.style.SUCCESS(f"{version.kind} model {version.name} ({version.sha256[:12]}): {state}."))
