from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from gallery import apis as gallery_apis
from gallery import views as gallery_views
from gallery.curation import apis as curation_apis
from gallery.curation import views as curation_views
from gallery.jobs import apis as job_apis

gallery_patterns = (
    [
        path("", gallery_views.MapView.as_view(), name="map"),
        path("artworks/<int:pk>/", gallery_views.ArtworkDetailView.as_view(), name="artwork-detail"),
        path("artworks/<int:pk>/download/", gallery_views.ArtworkDownloadView.as_view(), name="artwork-download"),
        path("artworks/<int:pk>/download/native/", gallery_views.ArtworkDownloadView.as_view(native=True),
             name="artwork-download-native"),
        path("compose/", gallery_views.ComposeView.as_view(), name="compose"),
        path("regions/<int:pk>/", gallery_views.RegionDetailView.as_view(), name="region-detail"),
        path("gallery/", gallery_views.GalleryView.as_view(), name="artwork-list"),
        path("gallery/map/", gallery_views.ArtworkMapView.as_view(), name="artwork-map"),
        path("curate/", curation_views.DashboardView.as_view(), name="curation-dashboard"),
        path("curate/exhibitions/<slug:slug>/", curation_views.ExhibitionEditView.as_view(), name="exhibition-edit"),
        path("exhibitions/", curation_views.ExhibitionListView.as_view(), name="exhibition-list"),
        path("exhibitions/<slug:slug>/", curation_views.ExhibitionDetailView.as_view(), name="exhibition-detail"),
        path("exhibitions/<slug:slug>/kiosk/", curation_views.ExhibitionKioskView.as_view(), name="exhibition-kiosk"),
        path("exhibitions/<slug:slug>/catalogue.zip", curation_views.ExhibitionCatalogueView.as_view(), name="exhibition-catalogue"),
    ],
    "gallery",
)


def _with_and_without_slash(route: str, view, name: str) -> list:
    """The canonical path ends in a slash; the other answers too, since a POST cannot follow a redirect."""
    return [path(route, view, name=name), path(route.rstrip("/"), view)]


# The API's documentation page is drf-spectacular's Redoc: its script and fonts come from CDNs, it
# starts with an inline script, styles itself inline and runs a worker from a blob.
_redoc_policy = csp_replace({
    "script-src": [SELF, "https://cdn.jsdelivr.net", UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE, "https://fonts.googleapis.com"],
    "font-src": [SELF, "https://fonts.gstatic.com"],
    "worker-src": ["blob:"],
})

api_patterns = (
    [
        *_with_and_without_slash("cities/", gallery_apis.CityListApi.as_view(), "city-list"),
        *_with_and_without_slash("artworks/", gallery_apis.ArtworkListApi.as_view(), "artwork-list"),
        *_with_and_without_slash("artworks/map/", gallery_apis.ArtworkMapApi.as_view(), "artwork-map"),
        *_with_and_without_slash("artworks/<int:artwork_id>/", gallery_apis.ArtworkDetailApi.as_view(), "artwork-detail"),
        *_with_and_without_slash("jobs/", job_apis.JobCreateApi.as_view(), "job-create"),
        *_with_and_without_slash("jobs/<str:job_id>/", job_apis.JobDetailApi.as_view(), "job-detail"),
        *_with_and_without_slash("jobs/<str:job_id>/cancel/", job_apis.JobCancelApi.as_view(), "job-cancel"),
        *_with_and_without_slash("queue/", job_apis.QueueApi.as_view(), "queue"),
        *_with_and_without_slash(
            "artworks/<int:artwork_id>/variations/", job_apis.ArtworkVariationsApi.as_view(), "artwork-variations"
        ),
        *_with_and_without_slash(
            "artworks/<int:artwork_id>/regenerate/", job_apis.ArtworkRegenerateApi.as_view(), "artwork-regenerate"
        ),
        *_with_and_without_slash("exhibitions/", curation_apis.ExhibitionListApi.as_view(), "exhibition-list"),
        *_with_and_without_slash("exhibitions/<slug:slug>/", curation_apis.ExhibitionDetailApi.as_view(), "exhibition-detail"),
        *_with_and_without_slash("exhibitions/<slug:slug>/items/", curation_apis.ExhibitionItemsApi.as_view(), "exhibition-items"),
        *_with_and_without_slash(
            "exhibitions/<slug:slug>/items/<int:item_id>/", curation_apis.ExhibitionItemApi.as_view(), "exhibition-item"
        ),
        *_with_and_without_slash("exhibitions/<slug:slug>/order/", curation_apis.ExhibitionOrderApi.as_view(), "exhibition-order"),
        *_with_and_without_slash(
            "exhibitions/<slug:slug>/publish/", curation_apis.ExhibitionPublishApi.as_view(publish=True), "exhibition-publish"
        ),
        *_with_and_without_slash(
            "exhibitions/<slug:slug>/unpublish/", curation_apis.ExhibitionPublishApi.as_view(publish=False), "exhibition-unpublish"
        ),
        *_with_and_without_slash("artworks/<int:artwork_id>/hide/", curation_apis.ArtworkHideApi.as_view(), "artwork-hide"),
        *_with_and_without_slash("artworks/<int:artwork_id>/favourite/", curation_apis.ArtworkFavouriteApi.as_view(), "artwork-favourite"),
        path("schema/", SpectacularAPIView.as_view(), name="schema"),
        path("docs/", _redoc_policy(SpectacularRedocView.as_view(url_name="api:schema")), name="docs"),
    ],
    "api",
)

urlpatterns = [
    path("", include(gallery_patterns)),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]

if settings.SERVE_MEDIA:
    # One machine: Django serves the media folder. Production puts it behind the web server or S3.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}))
