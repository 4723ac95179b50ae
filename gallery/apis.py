"""The public gallery API: cities (search and in view) and artworks (list, map, one)."""
import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery import selectors
from gallery.errors import ARTWORK_UNKNOWN
from gallery.filters import PAGE_SIZE_MAX, ArtworkFilterSerializer, page_of, page_size_parse, whole_number
from gallery.selectors import BBox

BBOX_FORMAT = "Give bbox as west,south,east,north in degrees."
BBOX_SOUTH_NORTH = "South must not be greater than north."
BBOX_RANGE = "Longitudes must be within [-180, 180] and latitudes within [-90, 90]."
LIMIT_RANGE = "limit must be an integer from 1 to {max}."
QUERY_MISSING = "Give q (a name prefix) or bbox."
QUERY_TOO_LONG = "q must be at most 100 characters."
LIMIT_MAX = 1000
ZOOM_RANGE = "zoom must be a whole number from 0 to {max}."
ZOOM_MAX = 20
MAP_LIMIT = 300
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
BBOX_SCHEMA = {"type": "string", "pattern": f"^{_LON},{_LAT},{_LON},{_LAT}$"}
BBOX_DESCRIPTION = "west,south,east,north in degrees, south not above north; west > east crosses the antimeridian."


class CitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField(source="country_code")
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    population = serializers.IntegerField()
    timezone = serializers.CharField()


class ArtworkModelSerializer(serializers.Serializer):
    """The model that painted an artwork: its registry id, name and the sha256 of its weights."""

    id = serializers.IntegerField(source="model_version_id")
    name = serializers.CharField(source="model_version.name")
    sha256 = serializers.CharField(source="model_sha256")


class ArtworkUpsamplerSerializer(serializers.Serializer):
    """The upsampler that enlarged an artwork's picture: its registry id, name and weights' sha256."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()


class ArtworkLinksMixin:
    """Absolute URLs of an artwork's page and pictures, and whether the picture shown is an
    upsampler's enlargement (else it is the model's own, drawn pixelated by the pages)."""

    def get_url(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.get_absolute_url())

    def get_image(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.image.url)

    def get_thumbnail(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.thumbnail.url)

    def get_native_image(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.native_picture.url)

    def get_upsampled(self, artwork) -> bool:
        return bool(artwork.native_image)


class ComposeStepSerializer(serializers.Serializer):
    """One step of a composed artwork: the canvas after it and the RGBA layer it added."""

    index = serializers.IntegerField(help_text="0: the background x0; t: after the t-th object.")
    image = serializers.SerializerMethodField()
    layer = serializers.SerializerMethodField(help_text="null for the background.")
    object = serializers.JSONField(allow_null=True)

    def get_image(self, step) -> str:
        return self.context["request"].build_absolute_uri(step.image.url)

    def get_layer(self, step) -> str | None:
        return self.context["request"].build_absolute_uri(step.layer.url) if step.layer else None


class ArtworkSerializer(ArtworkLinksMixin, serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField(help_text="The picture shown (enlarged when an upsampler was active).")
    thumbnail = serializers.SerializerMethodField()
    native_image = serializers.SerializerMethodField(help_text="The picture as its model painted it.")
    upsampled = serializers.SerializerMethodField()
    kind = serializers.CharField()
    city = CitySerializer(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    inputs = serializers.JSONField()
    seed = serializers.IntegerField()
    model = ArtworkModelSerializer(source="*")
    model_sha256 = serializers.CharField()
    upsampler = ArtworkUpsamplerSerializer(allow_null=True)
    parent = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(help_text="A composed artwork's steps x0..xT; empty for other kinds.")
    view_count = serializers.IntegerField()
    created = serializers.DateTimeField()

    @extend_schema_field(ComposeStepSerializer(many=True))
    def get_steps(self, artwork) -> list:
        if artwork.kind != "compose":
            return []
        return ComposeStepSerializer(selectors.compose_steps(artwork=artwork), many=True, context=self.context).data

    def get_parent(self, artwork) -> int | None:
        parent = selectors.artwork_parent(artwork=artwork)
        return parent.pk if parent else None

    def get_children(self, artwork) -> list[int]:
        return [child.pk for child in selectors.artwork_children(artwork=artwork)]


class ArtworkMarkerSerializer(ArtworkLinksMixin, serializers.Serializer):
    """An artwork on the map of artworks, standing for `cell_count` artworks around it."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    upsampled = serializers.SerializerMethodField()
    title = serializers.CharField(source="place_label")
    kind = serializers.CharField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    view_count = serializers.IntegerField()
    cell_count = serializers.IntegerField()


def _parse_bbox(raw: str) -> BBox:
    parts = raw.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise serializers.ValidationError({"bbox": [BBOX_FORMAT]}) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise serializers.ValidationError({"bbox": [BBOX_FORMAT]})
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90):
        raise serializers.ValidationError({"bbox": [BBOX_RANGE]})
    if south > north:
        raise serializers.ValidationError({"bbox": [BBOX_SOUTH_NORTH]})
    return BBox(west=west, south=south, east=east, north=north)


def _parse_limit(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    limit = whole_number(raw)
    if limit is None or not 1 <= limit <= LIMIT_MAX:
        raise serializers.ValidationError({"limit": [LIMIT_RANGE.format(max=LIMIT_MAX)]})
    return limit


class CityListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Name prefix; accents and case are ignored."),
            OpenApiParameter("bbox", BBOX_SCHEMA, description=BBOX_DESCRIPTION),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1 to {LIMIT_MAX}."),
        ],
        responses={200: CitySerializer(many=True)},
    )
    def get(self, request):
        query, bbox = request.query_params.get("q"), request.query_params.get("bbox")
        if query is not None and query.strip():
            if len(query) > 100:
                raise serializers.ValidationError({"q": [QUERY_TOO_LONG]})
            cities = selectors.city_search(query=query, limit=_parse_limit(request.query_params.get("limit"), 10))
        elif bbox is not None:
            cities = selectors.city_in_bbox(bbox=_parse_bbox(bbox), limit=_parse_limit(request.query_params.get("limit"), 100))
        else:
            return Response({"q": [QUERY_MISSING]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(CitySerializer(cities, many=True).data)


def _parse_zoom(raw: str | None) -> int:
    zoom = whole_number(raw)
    if zoom is None or zoom > ZOOM_MAX:
        raise serializers.ValidationError({"zoom": [ZOOM_RANGE.format(max=ZOOM_MAX)]})
    return zoom


def _parse_filters(request) -> dict:
    filters = ArtworkFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


class ArtworkPagination(PageNumberPagination):
    """Page-number pagination whose bad page or page size is a 400 naming the parameter."""

    page_size_query_param = "page_size"
    max_page_size = PAGE_SIZE_MAX

    def get_page_size(self, request) -> int:
        return page_size_parse(request.query_params.get(self.page_size_query_param))

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page = page_of(queryset, number=request.query_params.get(self.page_query_param), size=self.get_page_size(request))
        return list(self.page)


class ArtworkListApi(ListAPIView):
    serializer_class = ArtworkSerializer
    pagination_class = ArtworkPagination

    @extend_schema(
        parameters=[ArtworkFilterSerializer],
        responses={200: ArtworkSerializer(many=True), 400: OpenApiResponse(description="A parameter is invalid: {name: [message]}.")},
    )
    def get(self, request, *args, **kwargs):
        """Public artworks, filtered, newest or most viewed first, a page at a time."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.artwork_list(**_parse_filters(self.request))


class ArtworkMapApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("bbox", BBOX_SCHEMA, required=True, description=BBOX_DESCRIPTION),
            OpenApiParameter("zoom", {"type": "integer", "minimum": 0, "maximum": ZOOM_MAX}, required=True,
                             description=f"The map's zoom, 0 to {ZOOM_MAX}: one artwork per cell of a quarter tile."),
            ArtworkFilterSerializer,
        ],
        responses={200: ArtworkMarkerSerializer(many=True), 400: OpenApiResponse(description="A parameter is invalid: {name: [message]}.")},
    )
    def get(self, request):
        """The artworks in view, thinned to one per grid cell (the most viewed), for a map."""
        bbox = request.query_params.get("bbox")
        if not bbox:
            raise serializers.ValidationError({"bbox": [BBOX_FORMAT]})
        filters = _parse_filters(request)
        filters.pop("sort")  # a map shows the most viewed of each cell
        markers = selectors.artwork_map(
            bbox=_parse_bbox(bbox), zoom=_parse_zoom(request.query_params.get("zoom")), limit=MAP_LIMIT, **filters
        )
        return Response(ArtworkMarkerSerializer(markers, many=True, context={"request": request}).data)


class ArtworkDetailApi(APIView):
    @extend_schema(responses={200: ArtworkSerializer, 404: OpenApiResponse(description="No such artwork.")})
    def get(self, request, artwork_id: int):
        artwork = selectors.artwork_get(artwork_id=artwork_id)
        if artwork is None:
            return Response({"detail": ARTWORK_UNKNOWN.format(artwork_id=artwork_id)}, status=status.HTTP_404_NOT_FOUND)
        return Response(ArtworkSerializer(artwork, context={"request": request}).data)
