"""Validation of a place: a city (a GeoNames id) or a point, for a `place` picture and for the
background of a composed scene."""
from rest_framework import serializers

from config.api import StrictFloatField, StrictIntegerField, StrictSerializer
from gallery.jobs import errors
from gallery.models import City

INT64_MAX = 2**63 - 1  # the largest integer the database stores


class PlaceInputsSerializer(StrictSerializer):
    """A point (lat, lon) or a city (a GeoNames id of a city the site knows)."""

    schema_forms = ((("lat", "lon"), ()), (("city",), ()))
    lat = StrictFloatField(min_value=-90.0, max_value=90.0, range_message=errors.LAT_RANGE, required=False)
    lon = StrictFloatField(min_value=-180.0, max_value=180.0, range_message=errors.LON_RANGE, required=False)
    city = StrictIntegerField(min_value=1, max_value=INT64_MAX, range_message=errors.CITY_UNKNOWN, required=False)

    def validate_city(self, value: int) -> int:
        if not City.objects.filter(pk=value).exists():
            raise serializers.ValidationError(errors.CITY_UNKNOWN.format(value=value))
        return value

    def validate(self, attrs):
        has_point = "lat" in attrs or "lon" in attrs
        if "city" in attrs and has_point:
            raise serializers.ValidationError({"city": [errors.PLACE_CITY_OR_POINT]})
        if "city" not in attrs:
            missing = [name for name in ("lat", "lon") if name not in attrs]
            if missing:
                raise serializers.ValidationError({name: [errors.PLACE_NEEDS_LOCATION] for name in missing})
        return attrs
