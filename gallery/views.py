"""Pages: the map, and the permalink page of an artwork."""
from django.conf import settings
from django.views.generic import DetailView, TemplateView

from gallery.models import Artwork
from generation.models import Kind
from generation.selectors import model_version_active


class MapView(TemplateView):
    template_name = "gallery/map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["place_model"] = model_version_active(kind=Kind.PLACE)
        context["tile_url"] = settings.MAP_TILE_URL
        context["tile_attribution"] = settings.MAP_TILE_ATTRIBUTION
        return context


class ArtworkDetailView(DetailView):
    model = Artwork
    template_name = "gallery/artwork_detail.html"
    context_object_name = "artwork"

    def get_queryset(self):
        return Artwork.objects.select_related("city", "model_version")
