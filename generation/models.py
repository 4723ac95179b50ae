"""Generation jobs and the registry of trained models that serve them."""
from django.db import models
from django.urls import reverse


class Kind(models.TextChoices):
    PLACE = "place", "Place"
    GROUND = "ground", "Ground"
    EDIT = "edit", "Edit"
    COMPOSE = "compose", "Compose"


class ModelVersion(models.Model):
    """A trained model on disk: a folder with weights.safetensors and config.json."""

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=200)
    folder = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, verbose_name="weights sha256")
    config = models.JSONField(default=dict)
    is_active = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-created"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=models.Q(is_active=True), name="one_active_model_per_kind"),
            models.UniqueConstraint(fields=["kind", "sha256"], name="unique_weights_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} ({self.sha256[:12]})"


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    inputs = models.JSONField()
    seed = models.PositiveBigIntegerField()
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="jobs")
    request_key = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    artwork = models.ForeignKey("gallery.Artwork", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    attempts = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind}, {self.status})"

    def get_absolute_url(self) -> str:
        return reverse("api:job-detail", args=[self.pk])
