"""Generation jobs, the registry of trained models that serve them, and the workers seen."""
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Kind(models.TextChoices):
    PLACE = "place", "Place"
    GROUND = "ground", "Ground"
    EDIT = "edit", "Edit"
    COMPOSE = "compose", "Compose"
    UPSAMPLE = "upsample", "Upsample"


# The kinds that paint an artwork, as (value, label); an active `upsample` model only enlarges
# what they paint.
GENERATOR_KIND_CHOICES = [(kind.value, kind.label) for kind in Kind if kind != Kind.UPSAMPLE]


class ModelVersion(models.Model):
    """A trained model on disk: a folder with weights.safetensors and config.json."""

    class Validation(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        PASSED = "passed"
        FAILED = "failed"

    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=200)
    folder = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, verbose_name="weights sha256")
    config = models.JSONField(default=dict)
    is_active = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    # When it last became the active version of its kind: a rollback returns to the latest one before.
    activated_at = models.DateTimeField(null=True, blank=True)
    # Only a version that loaded and painted its sample grid may be activated.
    validation_status = models.CharField(max_length=16, choices=Validation.choices, default=Validation.PENDING)
    validation_error = models.TextField(blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    sample_grid = models.ImageField(upload_to="model-grids/", blank=True)
    metrics = models.JSONField(null=True, blank=True)  # null: the metrics oracle was not available

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

    class Purpose(models.TextChoices):
        GENERATE = "generate"  # paint a new artwork
        REGENERATE = "regenerate"  # paint `parent` again and compare the bytes; no new artwork

    # What the API calls the job (its URL, its "id"): random, so that nobody finds another's job by
    # counting; the integer pk stays internal (tasks, foreign keys, the admin).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    inputs = models.JSONField()
    seed = models.PositiveBigIntegerField()
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="jobs")
    # The upsampler active when the job was asked for: it enlarges what the model paints (null: none).
    upsampler = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="upsampled_jobs"
    )
    request_key = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.GENERATE)
    # The artwork this job starts from: a variation's artwork becomes its child; a regeneration repaints it.
    parent = models.ForeignKey(
        "gallery.Artwork", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_jobs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    # What the worker is doing now, in words ("adding object 2 of 3: tree"); blank when the
    # percentage says it all.
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    artwork = models.ForeignKey("gallery.Artwork", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    region = models.ForeignKey("gallery.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    verification = models.JSONField(null=True, blank=True)  # a regeneration's comparison of image bytes
    attempts = models.PositiveSmallIntegerField(default=0)  # times a worker started it
    # The database is the source of truth, the broker a doorbell (generation.services.recovery):
    # when its message was last handed to the broker (null: not yet, e.g. the broker was down), how
    # many times, and which worker runs it with its heartbeat, refreshed while it runs.
    sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=255, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    # The job whose message started the batch this one was painted in (null: it led its batch or
    # ran alone); the worker's heartbeat for that job covers this one too (generation.worker).
    batched_with = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="batch")
    # Who asked: the visitor's session, and the user when logged in.
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)  # moved on a retry: the back of the queue
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind}, {self.status})"

    def get_absolute_url(self) -> str:
        return reverse("api:job-detail", args=[self.public_id])


class WorkerSeen(models.Model):
    """A worker's heartbeat, written when it starts and finishes a task."""

    hostname = models.CharField(max_length=255, unique=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen"]
        verbose_name = "worker seen"
        verbose_name_plural = "workers seen"

    def __str__(self) -> str:
        return self.hostname
