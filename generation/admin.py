from django.contrib import admin, messages

from generation.models import Job, ModelVersion
from generation.services import model_version_activate


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "short_sha256", "is_active", "created"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["kind", "sha256", "folder", "config", "is_active", "created"]
    actions = ["activate"]

    @admin.display(description="sha256")
    def short_sha256(self, obj: ModelVersion) -> str:
        return obj.sha256[:12]

    @admin.action(description="Activate (serve its kind with this version)")
    def activate(self, request, queryset):
        chosen = list(queryset)
        if len({version.kind for version in chosen}) != len(chosen):
            self.message_user(request, "Choose at most one version per kind.", level=messages.ERROR)
            return
        for version in chosen:
            model_version_activate(model_version=version)
            self.message_user(request, f"{version} now serves {version.kind}.")

    def has_add_permission(self, request):
        return False  # versions come from register_model, which validates the folder


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "progress", "created", "finished"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]
