"""Reads of the gallery: city search, cities in view, nearest city, artworks."""
import math
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from gallery.models import Artwork, City
from gallery.text import fold


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.west > self.east


def city_search(*, query: str, limit: int) -> QuerySet[City]:
    """Cities whose name starts with `query`, accents and case ignored, most populous first."""
    return City.objects.filter(search_name__startswith=fold(query)).order_by("-population", "id")[:limit]


def city_in_bbox(*, bbox: BBox, limit: int) -> QuerySet[City]:
    """The most populous cities inside a box; a box with west > east crosses the antimeridian."""
    if bbox.crosses_antimeridian:
        in_lon = Q(lon__gte=bbox.west) | Q(lon__lte=bbox.east)
    else:
        in_lon = Q(lon__gte=bbox.west, lon__lte=bbox.east)
    return City.objects.filter(in_lon, lat__gte=bbox.south, lat__lte=bbox.north).order_by("-population", "id")[:limit]


def city_nearest(*, lat: float, lon: float, within_km: float = 50.0, city_radius_km: float = 15.0) -> City | None:
    """The city a point belongs to: the most populous within `city_radius_km` (so a click in
    central Tokyo is Tokyo, not one of its districts), else the nearest within `within_km`."""
    dlat = within_km / 111.0
    dlon = min(180.0, dlat / max(math.cos(math.radians(lat)), 0.01))
    west, east = lon - dlon, lon + dlon
    in_lon = Q(lon__gte=west, lon__lte=east)
    if west < -180:
        in_lon |= Q(lon__gte=west + 360)
    if east > 180:
        in_lon |= Q(lon__lte=east - 360)
    candidates = City.objects.filter(in_lon, lat__gte=lat - dlat, lat__lte=lat + dlat)
    by_distance = sorted((_haversine_km(lat, lon, c.lat, c.lon), c) for c in candidates)
    close = [city for distance, city in by_distance if distance <= city_radius_km]
    if close:
        return max(close, key=lambda city: city.population)
    if by_distance and by_distance[0][0] <= within_km:
        return by_distance[0][1]
    return None


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def artwork_get(*, artwork_id: int) -> Artwork | None:
    return Artwork.objects.select_related("city", "model_version").filter(pk=artwork_id).first()


def artwork_find(*, request_key: str) -> Artwork | None:
    return Artwork.objects.filter(request_key=request_key).first()
