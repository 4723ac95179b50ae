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

# Each API path answers with or without its trailing slash (a POST cannot follow a redirect).
api_patterns = (
    [
        re_path(r"^cities/?$", gallery_apis.CityListApi.as_view(), name="city-list"),
        re_path(r"^artworks/(?P<artwork_id>[0-9]+)/?$", gallery_apis.ArtworkDetailApi.as_view(), name="artwork-detail"),
        re_path(r"^jobs/?$", generation_apis.JobCreateApi.as_view(), name="job-create"),
        re_path(r"^jobs/(?P<job_id>[0-9]+)/?$", generation_apis.JobDetailApi.as_view(), name="job-detail"),
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
