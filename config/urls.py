from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from gallery import apis as gallery_apis
from gallery import views as gallery_views
from generation import apis as generation_apis

gallery_patterns = (
    [
        path("", gallery_views.MapView.as_view(), name="map"),
        path("artworks/<int:pk>/", gallery_views.ArtworkDetailView.as_view(), name="artwork-detail"),
    ],
    "gallery",
)


def _with_and_without_slash(route: str, view, name: str) -> list:
    """The canonical path ends in a slash; the other answers too, since a POST cannot follow a redirect."""
    return [path(route, view, name=name), path(route.rstrip("/"), view)]


api_patterns = (
    [
        *_with_and_without_slash("cities/", gallery_apis.CityListApi.as_view(), "city-list"),
        *_with_and_without_slash("artworks/<int:artwork_id>/", gallery_apis.ArtworkDetailApi.as_view(), "artwork-detail"),
        *_with_and_without_slash("jobs/", generation_apis.JobCreateApi.as_view(), "job-create"),
        *_with_and_without_slash("jobs/<int:job_id>/", generation_apis.JobDetailApi.as_view(), "job-detail"),
        path("schema/", SpectacularAPIView.as_view(), name="schema"),
        path("docs/", SpectacularRedocView.as_view(url_name="api:schema"), name="docs"),
    ],
    "api",
)

urlpatterns = [
    path("", include(gallery_patterns)),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # One machine: Django serves the media folder. Production puts it behind the web server or S3.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
