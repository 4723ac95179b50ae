"""Pages: the map, the gallery (a grid and a map of artworks), an artwork's page and its PNG."""
import json
from urllib.parse import urlencode

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.text import slugify
from django.views import View
from django.views.generic import DetailView, TemplateView
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from gallery import selectors, services
from gallery.errors import ARTWORK_UNKNOWN
from gallery.curation.permissions import is_curator
from gallery.filters import PAGE_SIZE, SORTS, ArtworkFilterSerializer, page_of
from gallery.jobs import errors as job_errors
from gallery.jobs.compose_inputs import model_categories
from gallery.jobs.services import compose_background_canonical
from gallery.models import City
from generation.models import GENERATOR_KIND_CHOICES, Kind
from generation.selectors import EDIT_SUGGESTION_ACCURACY, edit_suggestions, model_version_active


class BasemapMixin:
    """The settings of the map's base layer: online tiles if configured, else land outlines."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tile_url"] = settings.MAP_TILE_URL
        context["tile_attribution"] = settings.MAP_TILE_ATTRIBUTION
        return context


class MapView(BasemapMixin, TemplateView):
    template_name = "gallery/map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["place_model"] = model_version_active(kind=Kind.PLACE)
        context["compose_model"] = model_version_active(kind=Kind.COMPOSE)
        return context


class ComposePlaceSerializer(serializers.Serializer):
    """/compose/'s query string: ?city=<GeoNames id> or ?lat=&lon=."""

    city = serializers.IntegerField(min_value=1, required=False)
    lat = serializers.FloatField(min_value=-90.0, max_value=90.0, required=False)
    lon = serializers.FloatField(min_value=-180.0, max_value=180.0, required=False)

    def validate(self, attrs):
        if "city" in attrs:
            attrs["city"] = City.objects.filter(pk=attrs["city"]).first()
            if attrs["city"] is None:
                raise serializers.ValidationError({"city": [job_errors.CITY_UNKNOWN.format(value=self.initial_data["city"])]})
        elif "lat" not in attrs or "lon" not in attrs:
            raise serializers.ValidationError({"lat": [job_errors.PLACE_NEEDS_LOCATION]})
        return attrs


class ComposeView(TemplateView):
    """The composer: the background of a place, objects dragged onto it from the active compose
    model's palette, painted one at a time. A place that is not one is a 400 saying why."""

    template_name = "gallery/compose.html"

    def get(self, request, *args, **kwargs):
        query = ComposePlaceSerializer(data=request.GET)
        if not query.is_valid():
            return self.render_to_response(self.get_context_data(errors=query.errors), status=400)
        return self.render_to_response(self.get_context_data(place=query.validated_data))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        version = model_version_active(kind=Kind.COMPOSE)
        context["compose_model"] = version
        place = kwargs.get("place")
        if place is not None:
            city = place.get("city")
            context["place_label"] = f"{city.name}, {city.country_code}" if city else f"{place['lat']:.3f}, {place['lon']:.3f}"
            background = {"city": city.pk} if city else {"lat": place["lat"], "lon": place["lon"]}
            # A place's earlier background is shown again (its seed asked for again finds its
            # artwork), so that visits do not each leave one more background in the gallery.
            earlier = version and selectors.compose_background_find(
                background=compose_background_canonical(background), model_version=version)
            context["composer"] = {
                "background": background,
                "background_seed": earlier.seed if earlier else None,
                "categories": model_categories(version) if version else [],
            }
        return context


class ArtworkFiltersMixin:
    """Parses the gallery's filters from the query string; bad ones answer 400 with the form
    showing what is wrong, and no artworks."""

    filter_serializer_class = ArtworkFilterSerializer

    def get(self, request, *args, **kwargs):
        filters = self.filter_serializer_class(data=request.GET)
        if not filters.is_valid():
            return self.render_to_response(self.get_context_data(errors=filters.errors), status=400)
        try:
            return self.render_to_response(self.get_context_data(filters=filters.validated_data))
        except ValidationError as error:  # a page past the last one
            return self.render_to_response(self.get_context_data(errors=error.detail), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["facets"] = selectors.artwork_facets()
        context["kinds"] = GENERATOR_KIND_CHOICES
        context["sorts"] = [(sort, sort.replace("_", " ").capitalize()) for sort in SORTS]
        context["filter_query"] = urlencode({name: self.request.GET[name] for name in self.filter_serializer_class().fields if self.request.GET.get(name)})
        return context


class GalleryView(ArtworkFiltersMixin, TemplateView):
    template_name = "gallery/gallery.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "filters" in kwargs:
            artworks = selectors.artwork_list(**kwargs["filters"])
            context["page_obj"] = page_of(artworks, number=self.request.GET.get("page"), size=PAGE_SIZE)
        return context


class ArtworkMapView(ArtworkFiltersMixin, BasemapMixin, TemplateView):
    template_name = "gallery/artwork_map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "filters" in kwargs:
            # The map opens on the artworks it shows.
            context["extent"] = selectors.artwork_extent(**kwargs["filters"])
        return context


def _visible_artwork(request, artwork_id: int):
    """An artwork for this visitor: a hidden one only for curators, who moderate them."""
    artwork = selectors.artwork_get(artwork_id=artwork_id, include_hidden=is_curator(request.user))
    if artwork is None:
        raise Http404(ARTWORK_UNKNOWN.format(artwork_id=artwork_id))
    return artwork


class ArtworkDetailView(DetailView):
    template_name = "gallery/artwork_detail.html"
    context_object_name = "artwork"

    def get_object(self, queryset=None):
        return _visible_artwork(self.request, self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        services.artwork_view(artwork=self.object)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        artwork = self.object
        context["parent"] = selectors.artwork_parent(artwork=artwork)
        context["children"] = selectors.artwork_children(artwork=artwork)
        context["inputs_json"] = json.dumps(artwork.inputs, indent=2, sort_keys=True, ensure_ascii=False)
        edit_version = model_version_active(kind=Kind.EDIT)
        context["edit_available"] = edit_version is not None
        context["edit_suggestions"] = edit_suggestions(model_version=edit_version)
        context["edit_suggestion_percent"] = round(100 * EDIT_SUGGESTION_ACCURACY)
        context["strip_frames"] = artwork.inputs.get("frames") if artwork.kind == "edit" else None
        if artwork.kind == Kind.COMPOSE:
            context["compose_steps"] = selectors.compose_steps(artwork=artwork)
            context["composer"] = {
                "base": artwork.pk, "objects": artwork.inputs["objects"],
                "categories": model_categories(artwork.model_version),
            }
        context["page_url"] = self.request.build_absolute_uri(artwork.get_absolute_url())
        context["image_url"] = self.request.build_absolute_uri(artwork.image.url)
        context["description"] = (
            f"An impression of {artwork.place_label} painted by the {artwork.kind} model "
            f"{artwork.model_version.name} from seed {artwork.seed}."
        )
        return context


class RegionDetailView(BasemapMixin, TemplateView):
    """A region as one work: the drawing, its ground views in a strip and pinned on the map, and
    the land use they were read as."""

    template_name = "gallery/region_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region = selectors.region_get(region_id=self.kwargs["pk"])
        if region is None:
            raise Http404(f"No region has the id {self.kwargs['pk']}.")
        views = selectors.region_artworks(region=region)
        context["region"], context["views"] = region, views
        context["shares"] = sorted(region.land_use.get("shares", {}).items(), key=lambda item: -item[1])
        context["region_data"] = {
            "geometry": region.geometry,
            "views": [{"id": a.pk, "url": a.get_absolute_url(), "thumbnail": a.thumbnail.url, "lat": a.lat,
                       "lon": a.lon, "place": a.place_label, "upsampled": bool(a.native_image)} for a in views],
        }
        return context


class ArtworkDownloadView(View):
    """The stored PNG as a download, the picture shown or (`native`) the one its model painted;
    its text chunks carry the provenance."""

    native = False

    def get(self, request, pk: int):
        artwork = _visible_artwork(request, pk)
        picture, suffix = (artwork.native_picture, "-native") if self.native else (artwork.image, "")
        name = f"genius-loci-{artwork.pk}-{slugify(artwork.place_label)}-seed-{artwork.seed}{suffix}.png"
        return FileResponse(picture.open("rb"), as_attachment=True, filename=name, content_type="image/png")
