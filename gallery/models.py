"""What visitors see: the world's cities and the artworks painted of them."""
from django.db import models
from django.urls import reverse


class City(models.Model):
    """A GeoNames city. `id` is the GeoNames id, so it is stable across reloads."""

    id = models.PositiveBigIntegerField(primary_key=True, verbose_name="GeoNames id")
    name = models.CharField(max_length=200)
    ascii_name = models.CharField(max_length=200)
    # Lower-case ASCII fold of the name, for accent- and case-insensitive prefix search.
    search_name = models.CharField(max_length=200, db_index=True)
    country_code = models.CharField(max_length=2, db_index=True)
    lat = models.FloatField()
    lon = models.FloatField()
    population = models.PositiveBigIntegerField(db_index=True)
    timezone = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "cities"
        ordering = ["-population"]
        indexes = [models.Index(fields=["lat", "lon"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.country_code})"


class Artwork(models.Model):
    """A generated picture with everything needed to make exactly it again."""

    kind = models.CharField(max_length=16, db_index=True)
    image = models.ImageField(upload_to="artworks/%Y/%m/")
    thumbnail = models.ImageField(upload_to="thumbnails/%Y/%m/")
    city = models.ForeignKey(City, null=True, blank=True, on_delete=models.SET_NULL, related_name="artworks")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    inputs = models.JSONField()
    seed = models.PositiveBigIntegerField()
    model_version = models.ForeignKey(
        "generation.ModelVersion", on_delete=models.PROTECT, related_name="artworks"
    )
    model_sha256 = models.CharField(max_length=64)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # sha256 of (kind, model sha256, canonical inputs, seed): one artwork per request, however
    # often a job runs (delivery is at least once).
    request_key = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        where = self.city.name if self.city else f"{self.lat:.3f}, {self.lon:.3f}"
        return f"{self.kind} of {where} (seed {self.seed})"

    def get_absolute_url(self) -> str:
        return reverse("gallery:artwork-detail", args=[self.pk])
