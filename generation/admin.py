"""Staff pages: the model registry (upload, validation, activate, roll back, delete) and the queue."""
import json
from functools import partial

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from generation import errors, services
from generation.forms import ModelUploadForm, UploadLimitHandler
from generation.models import Job, ModelVersion
from generation.selectors import (
    edit_suggestions,
    job_status_counts,
    model_version_deletion_refusal,
    model_version_list,
    worker_ping,
    worker_seen_list,
)

PING_TIMEOUT_S = 1.0


def land_use_summary(metrics: dict) -> str:
    """A ground model's target in a sentence above its metrics ("" for metrics without it)."""
    figures = metrics.get("land_use_accuracy")
    if not isinstance(figures, dict) or figures.get("ratio") is None:
        return ""
    verdict = "met" if figures["ratio"] >= figures["target"] else "missed"
    # format_html escapes its arguments into strings first, so the numbers are formatted here
    return format_html(
        '<p class="metrics-summary">The oracle reads the land use of {} held-out places in {} of the views '
        "this model paints from their overhead tiles, and in {} of their real ground views: "
        "<strong>ratio {}</strong> (target {}: {}).</p>",
        metrics.get("images", "the"), f"{figures['generated']:.1%}", f"{figures['real']:.1%}",
        f"{figures['ratio']:.2f}", f"{figures['target']:.2f}", verdict,
    )


def edit_summary(version: ModelVersion) -> str:
    """An edit model's figures in a sentence above its metrics, with what the artwork page
    suggests from them ("" for metrics without them)."""
    metrics = version.metrics
    if metrics.get("accuracy") is None or metrics.get("consistency") is None:
        return ""
    visitor = metrics.get("visitor_accuracy")
    suggested = "; ".join(f"“{text}”" for text in edit_suggestions(model_version=version))
    return format_html(
        '<p class="metrics-summary">The oracle finds what the text asks for in <strong>{}</strong> of the '
        "edits of {} held-out photos worded as the captions are, and in <strong>{}</strong> worded as a "
        "visitor might; the attributes the text does not name keep their value in {}. The artwork page "
        "suggests: {}.</p>",
        f"{metrics['accuracy']:.1%}", metrics.get("images", "the"), "—" if visitor is None else f"{visitor:.1%}",
        f"{metrics['consistency']:.1%}", suggested or "nothing (no text reaches the bar)",
    )


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "short_sha256", "is_active", "validation_status", "artworks", "activated_at", "created"]
    list_filter = ["kind", "is_active", "validation_status"]
    fields = [
        "name", "kind", "sha256", "folder", "is_active", "activated_at", "artworks", "validation_status",
        "validation_error", "validated_at", "grid", "metrics_table", "config", "created",
    ]
    readonly_fields = [
        "kind", "sha256", "folder", "is_active", "activated_at", "artworks", "validation_status", "validation_error",
        "validated_at", "grid", "metrics_table", "config", "created",
    ]
    actions = ["activate", "deactivate", "roll_back", "delete_versions"]

    def get_queryset(self, request):
        return model_version_list()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # replaced by delete_versions, which says why it refuses
        return actions

    @admin.display(description="sha256")
    def short_sha256(self, obj: ModelVersion) -> str:
        return obj.sha256[:12]

    @admin.display(description="artworks made", ordering="artwork_count")
    def artworks(self, obj: ModelVersion) -> int:
        return obj.artwork_count

    @admin.display(description="sample grid")
    def grid(self, obj: ModelVersion) -> str:
        if not obj.sample_grid:
            return "not painted yet" if obj.validation_status != ModelVersion.Validation.FAILED else "none: refused"
        return format_html('<img class="sample-grid" src="{}" alt="sample grid of {}">', obj.sample_grid.url, obj.name)

    @admin.display(description="metrics")
    def metrics_table(self, obj: ModelVersion) -> str:
        if obj.metrics is not None:
            return format_html("{}{}<pre>{}</pre>", land_use_summary(obj.metrics), edit_summary(obj),
                               json.dumps(obj.metrics, indent=2, sort_keys=True))
        if obj.validation_status == ModelVersion.Validation.PASSED:
            return "oracle not available"
        return "—"

    @admin.action(description="Activate (serve its kind with this version)")
    def activate(self, request, queryset):
        chosen = list(queryset)
        if len({version.kind for version in chosen}) != len(chosen):
            self.message_user(request, "Choose at most one version per kind.", level=messages.ERROR)
            return
        for version in chosen:
            try:
                services.model_version_activate(model_version=version)
            except services.ModelActivationError as error:
                self.message_user(request, str(error), level=messages.ERROR)
            else:
                self.message_user(request, f"Activated {version}: it now serves {version.kind}.")

    @admin.action(description="Deactivate (no version serves its kind; an upsampler's pictures stay as painted)")
    def deactivate(self, request, queryset):
        for version in queryset.filter(is_active=True):
            services.model_version_deactivate(model_version=version)
            self.message_user(request, f"Deactivated {version}: no {version.kind} model is active now.")

    @admin.action(description="Roll back (serve their kinds with the previously active version)")
    def roll_back(self, request, queryset):
        for kind in sorted({version.kind for version in queryset}):
            try:
                version = services.model_version_rollback(kind=kind)
            except services.ModelActivationError as error:
                self.message_user(request, str(error), level=messages.ERROR)
            else:
                self.message_user(request, f"Rolled back: {version} serves {kind} again.")

    @admin.action(description="Delete the selected versions that made no artworks", permissions=["delete"])
    def delete_versions(self, request, queryset):
        for version in queryset:
            try:
                services.model_version_delete(model_version=version)
            except services.ModelDeletionError as error:
                self.message_user(request, str(error), level=messages.ERROR)
            else:
                self.message_user(request, f"Deleted {version}.")

    def delete_view(self, request, object_id, extra_context=None):
        version = self.get_object(request, unquote(object_id))
        if version is None or not self.has_delete_permission(request, version):
            return super().delete_view(request, object_id, extra_context)  # Django's 404 or 403
        if refusal := model_version_deletion_refusal(model_version=version):
            self.message_user(request, refusal, level=messages.ERROR)
            return redirect("admin:generation_modelversion_change", version.pk)
        if request.method == "POST":
            services.model_version_delete(model_version=version)
            self.message_user(request, f"Deleted {version}.")
            return redirect("admin:generation_modelversion_changelist")
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "version": version,
            "job_count": version.jobs.count(), "title": f"Delete {version}?",
        }
        return TemplateResponse(request, "admin/generation/modelversion/delete.html", context)

    def get_urls(self):
        upload = self.admin_site.admin_view(csrf_exempt(self.upload_view))
        return [path("upload/", upload, name="generation_modelversion_upload"), *super().get_urls()]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:generation_modelversion_upload")

    def upload_view(self, request):
        """The upload form. CSRF is checked here, after the size limit is in place: checking it
        reads the body, which must not happen for an upload declared too large."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        limit = settings.GENERATION_MODEL_UPLOAD_MAX_BYTES
        if request.method == "POST" and _declared_size(request) > limit:
            return self._upload_page(request, ModelUploadForm(), refusal=_too_large(limit), status=413)
        handler = UploadLimitHandler(request, limit=limit)
        request.upload_handlers.insert(0, handler)
        return csrf_protect(self._upload)(request, handler)

    def _upload(self, request, handler: UploadLimitHandler):
        if request.method != "POST":
            return self._upload_page(request, ModelUploadForm())
        files = request.FILES  # parsed here, through the limit handler
        if handler.exceeded:
            return self._upload_page(request, ModelUploadForm(), refusal=_too_large(handler.limit), status=413)
        form = ModelUploadForm(request.POST, files)
        if form.is_valid():
            try:
                version = services.model_version_upload(
                    config=form.cleaned_data["config"], weights=form.cleaned_data["weights"], name=form.cleaned_data["name"]
                )
            except services.ModelRegistrationError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Uploaded {version}; a worker is validating it.")
                return redirect("admin:generation_modelversion_change", version.pk)
        return self._upload_page(request, form, status=400)

    def _upload_page(self, request, form, *, refusal: str = "", status: int = 200):
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form, "refusal": refusal,
            "title": "Upload a model folder", "limit_mb": settings.GENERATION_MODEL_UPLOAD_MAX_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/generation/modelversion/upload.html", context, status=status)


def _declared_size(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # no usable size declared: the limit handler counts the bytes instead


def _too_large(limit: int) -> str:
    return errors.UPLOAD_TOO_LARGE.format(limit_mb=limit // (1024 * 1024))


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id", "kind", "purpose", "status", "age", "progress", "asked_by", "model_version", "attempts", "worker", "heartbeat",
        "finished",
    ]
    list_filter = ["status", "kind", "purpose"]
    readonly_fields = [f.name for f in Job._meta.fields]
    list_select_related = ["model_version", "user"]
    actions = ["cancel_queued", "retry_failed"]

    def has_add_permission(self, request):
        return False  # jobs come from visitors' requests

    @admin.display(description="age", ordering="created")
    def age(self, obj: Job) -> str:
        return timesince(obj.created, timezone.now())

    @admin.display(description="asked by")
    def asked_by(self, obj: Job) -> str:
        return obj.user.get_username() if obj.user else ("a visitor" if obj.session_key else "—")

    @admin.action(description="Cancel the selected queued jobs, and running ones whose worker stopped answering",
                  permissions=["change"])
    def cancel_queued(self, request, queryset):
        self._each(request, queryset, partial(services.job_cancel, stale_too=True), "cancelled")

    @admin.action(description="Retry the selected failed jobs, and running ones whose worker stopped answering",
                  permissions=["change"])
    def retry_failed(self, request, queryset):
        self._each(request, queryset, services.job_retry, "queued again")

    def _each(self, request, queryset, service, done: str):
        succeeded, refused = [], []
        for job in queryset:
            try:
                service(job_id=job.pk)
            except services.JobStateError as error:
                refused.append(f"job {job.pk}: {error}")
            except services.JobNotSentError as error:  # queued again; the recovery loop sends it
                refused.append(f"job {job.pk}: {error}")
            else:
                succeeded.append(str(job.pk))
        if succeeded:
            self.message_user(request, f"{len(succeeded)} job(s) {done}: {', '.join(succeeded)}.")
        for message in refused:
            self.message_user(request, message, level=messages.WARNING)

    def changelist_view(self, request, extra_context=None):
        pinged, pings = "ping" in request.GET, None
        if pinged:  # a request to ask the workers now, not a filter of the list
            request.GET = request.GET.copy()
            del request.GET["ping"]
            pings = worker_ping(timeout=PING_TIMEOUT_S)
        context = {"status_counts": job_status_counts(), "workers": worker_seen_list(), "pinged": pinged, "pings": pings}
        return super().changelist_view(request, {**context, **(extra_context or {})})
