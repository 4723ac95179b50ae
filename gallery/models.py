"""What visitors see: the world's cities, the artworks painted of them, and the exhibitions
curators make of them."""
from django.conf import settings
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
    # The picture shown: the model's own, or the upsampler's enlargement of it.
    image = models.ImageField(upload_to="artworks/%Y/%m/")
    # The model's own picture when an upsampler enlarged it for `image`; blank when `image` is it.
    native_image = models.ImageField(upload_to="artworks/native/%Y/%m/", blank=True)
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
    upsampler = models.ForeignKey(
        "generation.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="upsampled_artworks"
    )
    upsampler_sha256 = models.CharField(max_length=64, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # sha256 of (kind, model sha256, canonical inputs, seed): one artwork per request, however
    # often a job runs (delivery is at least once).
    request_key = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    view_count = models.PositiveIntegerField(default=0)
    # Set by curators' moderation: a hidden artwork leaves every public list, map and lineage.
    hidden = models.BooleanField(default=False, db_index=True)
    # Who last hid or showed it again, and when: moderation is audited, never a deletion.
    hidden_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_changed_at = models.DateTimeField(null=True, blank=True)
    # A ground view belongs to the region it was painted for (its K views are one work).
    region = models.ForeignKey("Region", null=True, blank=True, on_delete=models.PROTECT, related_name="artworks")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.place_label} (seed {self.seed})"

    @property
    def place_label(self) -> str:
        """Where the artwork is of: its city, else its coordinates (an edit or a composed scene
        may have neither)."""
        if self.city:
            return f"{self.city.name}, {self.city.country_code}"
        if self.lat is not None and self.lon is not None:
            return f"{self.lat:.3f}, {self.lon:.3f}"
        return "an imagined place"

    @property
    def native_picture(self):
        """The file of the model's own picture (the shown one unless it was upsampled)."""
        return self.native_image or self.image

    def get_absolute_url(self) -> str:
        return reverse("gallery:artwork-detail", args=[self.pk])


class Region(models.Model):
    """A region drawn on the map (or a dropped point) and the ground views painted of it: one
    work of the gallery, with the land use its views were read as."""

    geometry = models.JSONField()  # GeoJSON Polygon as drawn (or Point), longitudes in [-180, 180]
    spots = models.JSONField()  # [{"lat", "lon"}], west to east: where the views stand, in order
    area_km2 = models.FloatField(null=True, blank=True)  # null for a point
    land_use = models.JSONField(default=dict)  # {"land_use", "urban_rural", "shares", "views"}
    seed = models.PositiveBigIntegerField()
    model_version = models.ForeignKey("generation.ModelVersion", on_delete=models.PROTECT, related_name="regions")
    request_key = models.CharField(max_length=64, unique=True)  # the job's: one region per request
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"region {self.pk} ({len(self.spots)} views)"

    def get_absolute_url(self) -> str:
        return reverse("gallery:region-detail", args=[self.pk])


class ComposeStep(models.Model):
    """One step of a composed artwork: the canvas after it (step 0 is the background x0) and the
    layer it added (RGBA, alpha 0 outside the object; none for the background), so that changing
    one object repaints only from that object on."""

    artwork = models.ForeignKey(Artwork, on_delete=models.CASCADE, related_name="compose_steps")
    index = models.PositiveSmallIntegerField()  # 0: the background; t: after the t-th object
    image = models.ImageField(upload_to="compose/steps/%Y/%m/")
    layer = models.ImageField(upload_to="compose/layers/%Y/%m/", blank=True)
    object = models.JSONField(null=True, blank=True)  # the object added (canonical inputs); null for x0

    class Meta:
        ordering = ["artwork", "index"]
        constraints = [models.UniqueConstraint(fields=["artwork", "index"], name="one_compose_step_per_index")]

    def __str__(self) -> str:
        return f"step {self.index} of artwork {self.artwork_id}"


class Exhibition(models.Model):
    """A curated, ordered selection of artworks with a statement; public once published."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    statement = models.TextField(blank=True)
    cover = models.ForeignKey(Artwork, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="exhibitions"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-published_at", "-created"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def get_absolute_url(self) -> str:
        return reverse("gallery:exhibition-detail", args=[self.slug])


class ExhibitionItem(models.Model):
    """One artwork of an exhibition, at its place in the order, with the text on the wall beside it."""

    exhibition = models.ForeignKey(Exhibition, on_delete=models.CASCADE, related_name="items")
    artwork = models.ForeignKey(Artwork, on_delete=models.PROTECT, related_name="exhibition_items")
    position = models.PositiveIntegerField()
    wall_text = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["exhibition", "artwork"], name="one_artwork_once_per_exhibition")]

    def __str__(self) -> str:
        return f"{self.exhibition}: {self.artwork}"


class Favourite(models.Model):
    """An artwork a curator marked to come back to."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    artwork = models.ForeignKey(Artwork, on_delete=models.CASCADE, related_name="favourites")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "artwork"], name="one_favourite_per_user_and_artwork")]
