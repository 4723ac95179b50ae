"""The public gallery API: cities (search and in view) and artworks."""
import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery import selectors
from gallery.selectors import BBox

BBOX_FORMAT = "Give bbox as west,south,east,north in degrees."
BBOX_SOUTH_NORTH = "South must not be greater than north."
BBOX_RANGE = "Longitudes must be within [-180, 180] and latitudes within [-90, 90]."
LIMIT_RANGE = "limit must be an integer from 1 to {max}."
QUERY_MISSING = "Give q (a name prefix) or bbox."
QUERY_TOO_LONG = "q must be at most 100 characters."
LIMIT_MAX = 1000


class CitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField(source="country_code")
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    population = serializers.IntegerField()
    timezone = serializers.CharField()


class ArtworkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    kind = serializers.CharField()
    city = CitySerializer(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    inputs = serializers.JSONField()
    seed = serializers.IntegerField()
    model_sha256 = serializers.CharField()
    created = serializers.DateTimeField()

    def get_url(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.get_absolute_url())

    def get_image(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.image.url)

    def get_thumbnail(self, artwork) -> str:
        return self.context["request"].build_absolute_uri(artwork.thumbnail.url)


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
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise serializers.ValidationError({"limit": [LIMIT_RANGE.format(max=LIMIT_MAX)]})
    return int(raw)


class CityListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Name prefix; accents and case are ignored."),
            OpenApiParameter("bbox", OpenApiTypes.STR, description="west,south,east,north; west > east crosses the antimeridian."),
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


class ArtworkDetailApi(APIView):
    @extend_schema(responses={200: ArtworkSerializer})
    def get(self, request, artwork_id: int):
        artwork = selectors.artwork_get(artwork_id=artwork_id)
        if artwork is None:
            return Response({"detail": f"No artwork has the id {artwork_id}."}, status=status.HTTP_404_NOT_FOUND)
        return Response(ArtworkSerializer(artwork, context={"request": request}).data)
