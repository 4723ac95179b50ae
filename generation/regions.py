"""Regions a visitor draws for the `ground` generator: checks, land, and the spots to paint.

A region is a GeoJSON Polygon geometry in WGS84 degrees ([lon, lat] positions). It is checked
with shapely in an *unwrapped* longitude frame: a ring that jumps by more than 180 degrees
between two vertices crosses the antimeridian, and the longitudes after the jump are shifted by
360 so the ring stays continuous (170 -> -170 becomes 170 -> 190). Areas are measured on
Lambert's cylindrical equal-area projection (x = R lon, y = R sin lat), which keeps areas exact
on the sphere. Land is Natural Earth's 1:50m land (the world-atlas package the map also uses),
so a region entirely over the sea is refused before any job exists.

The spots painted are drawn inside the region's land, K of them by area (capped), spread by
farthest-point sampling and ordered west to east; they depend only on the region, so the same
drawing always gives the same spots. Pure functions: no database, no torch.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.conf import settings
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.ops import unary_union
from shapely.validation import explain_validity

from generation import errors

EARTH_RADIUS_KM = 6371.0088
CANDIDATES_PER_SPOT = 64  # random candidates per spot before farthest-point thinning
COAST_TOLERANCE_DEGREES = 0.05  # 1:50m coasts are coarse: a spot this near land counts as land


class RegionError(ValueError):
    """A region that cannot be painted; the message names the problem (one of `errors`)."""


@dataclass(frozen=True)
class ParsedRegion:
    geometry: dict  # the GeoJSON Polygon (rings closed), positions rounded to 6 decimals, in [-180, 180]
    shape: Polygon  # the same polygon in the unwrapped frame
    area_km2: float
    land: Polygon | MultiPolygon  # the part over land, unwrapped frame


def region_parse(geometry) -> ParsedRegion:
    """Check a GeoJSON Polygon geometry; RegionError names the first problem found."""
    rings = _rings(geometry)
    count = sum(len(ring) for ring in rings)
    if count > settings.GROUND_REGION_MAX_VERTICES:
        raise RegionError(errors.REGION_TOO_MANY_VERTICES.format(count=count, max=settings.GROUND_REGION_MAX_VERTICES))
    for ring in rings:
        for lon, lat in ring:
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
                raise RegionError(errors.REGION_COORDINATES_RANGE.format(lon=lon, lat=lat))
    if len({(lon, lat) for lon, lat in rings[0]}) < 3:
        raise RegionError(errors.REGION_TOO_FEW_VERTICES)
    unwrapped = [_unwrap(ring) for ring in rings]
    polygon = Polygon(unwrapped[0], unwrapped[1:])
    if polygon.bounds[0] < -180.0:  # keep the frame's west edge at or east of -180
        polygon = affinity.translate(polygon, xoff=360.0)
    if not polygon.is_valid:
        raise RegionError(errors.REGION_INVALID.format(reason=explain_validity(polygon)))
    area = area_km2(polygon)
    if area > settings.GROUND_REGION_MAX_KM2:
        raise RegionError(errors.REGION_TOO_LARGE.format(area=area, max=settings.GROUND_REGION_MAX_KM2))
    if area < settings.GROUND_REGION_MIN_KM2:
        raise RegionError(errors.REGION_TOO_SMALL.format(area=area, min=settings.GROUND_REGION_MIN_KM2))
    land = polygon.intersection(_land())
    if land.is_empty or area_km2(land) == 0:
        raise RegionError(errors.REGION_OVER_SEA)
    rounded = {"type": "Polygon", "coordinates": [[[round(lon, 6), round(lat, 6)] for lon, lat in [*ring, ring[0]]]
                                                  for ring in rings]}
    return ParsedRegion(geometry=rounded, shape=polygon, area_km2=area, land=land)


def point_check(lat: float, lon: float) -> None:
    """A single spot must be on land (RegionError otherwise)."""
    if _land().distance(Point(lon, lat)) > COAST_TOLERANCE_DEGREES:
        raise RegionError(errors.POINT_OVER_SEA)


def area_km2(geometry) -> float:
    """Area on the sphere of a lon/lat geometry (Lambert cylindrical equal-area)."""
    projected = shapely_transform(geometry, lambda lon, lat: (np.radians(lon) * EARTH_RADIUS_KM,
                                                              np.sin(np.radians(lat)) * EARTH_RADIUS_KM))
    return float(projected.area)


def spot_count(land_km2: float) -> int:
    """K views for a region with this much land: one per (5 km)^2 of its side, 1 to the cap."""
    return int(min(max(math.ceil(math.sqrt(land_km2) / 5.0), 1), settings.GROUND_REGION_MAX_VIEWS))


def region_spots(region: ParsedRegion) -> list[dict]:
    """K spots {"lat", "lon"} on the region's land, spread out, west to east, deterministic."""
    count = spot_count(area_km2(region.land))
    digest = hashlib.sha256(json.dumps(region.geometry, sort_keys=True).encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    west, south, east, north = region.land.bounds
    # Uniform by area: uniform in lon and in sin(lat).
    low, high = math.sin(math.radians(south)), math.sin(math.radians(north))
    candidates: list[tuple[float, float]] = []
    for _ in range(200):  # rejection sampling; the land fills a fair share of its bounds
        lon = rng.uniform(west, east, count * CANDIDATES_PER_SPOT)
        lat = np.degrees(np.arcsin(rng.uniform(low, high, count * CANDIDATES_PER_SPOT)))
        inside = shapely.contains_xy(region.land, lon, lat)
        candidates += list(zip(lon[inside].tolist(), lat[inside].tolist()))
        if len(candidates) >= count * CANDIDATES_PER_SPOT:
            break
    if not candidates:  # a sliver of land thinner than the sampling finds: its representative point
        point = region.land.representative_point()
        candidates = [(point.x, point.y)]
    chosen = _farthest_points(np.array(candidates), count)
    chosen = chosen[np.argsort(chosen[:, 0], kind="stable")]
    return [{"lat": round(float(lat), 6), "lon": round(float((lon + 180.0) % 360.0 - 180.0), 6)}
            for lon, lat in chosen]


def _farthest_points(points: np.ndarray, count: int) -> np.ndarray:
    """Greedy farthest-point thinning (on the unit sphere) from the candidate nearest the centroid."""
    lon, lat = np.radians(points[:, 0]), np.radians(points[:, 1])
    xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    first = int(np.argmin(np.linalg.norm(xyz - xyz.mean(0), axis=1)))
    chosen, nearest = [first], np.linalg.norm(xyz - xyz[first], axis=1)
    for _ in range(min(count, len(points)) - 1):
        index = int(np.argmax(nearest))
        chosen.append(index)
        np.minimum(nearest, np.linalg.norm(xyz - xyz[index], axis=1), out=nearest)
    return points[chosen]


def shapely_transform(geometry, function):
    return shapely.transform(geometry, lambda xy: np.column_stack(function(xy[:, 0], xy[:, 1])))


def _rings(geometry) -> list[list[tuple[float, float]]]:
    """The rings of a GeoJSON Polygon as (lon, lat) float pairs, without the closing repeat."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise RegionError(errors.REGION_MALFORMED.format(reason='it must be an object with "type": "Polygon"'))
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise RegionError(errors.REGION_MALFORMED.format(reason='"coordinates" must be a list of rings'))
    parsed = []
    for ring in rings:
        if not isinstance(ring, list) or not ring:
            raise RegionError(errors.REGION_MALFORMED.format(reason="each ring must be a list of positions"))
        positions = []
        for position in ring:
            if (not isinstance(position, list) or len(position) not in (2, 3)
                    or not all(_is_number(value) for value in position)):
                raise RegionError(errors.REGION_MALFORMED.format(reason="each position must be [lon, lat] numbers"))
            positions.append((_degrees(position[0]), _degrees(position[1])))
        if len(positions) > 1 and positions[0] == positions[-1]:
            positions = positions[:-1]
        parsed.append(positions)
    return parsed


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _degrees(value: int | float) -> float:
    """A coordinate as a float; an integer too large for one is infinite (and so off the globe)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous: a jump of more than 180 degrees crosses the antimeridian."""
    out, shift = [ring[0]], 0.0
    for (lon0, _), (lon1, lat1) in zip(ring, ring[1:]):
        if lon1 - lon0 > 180.0:
            shift -= 360.0
        elif lon0 - lon1 > 180.0:
            shift += 360.0
        out.append((lon1 + shift, lat1))
    return out


@functools.cache
def _land():
    """Natural Earth land as one shapely geometry, also copied 360 degrees east for the
    unwrapped frame of regions that cross the antimeridian."""
    topology = json.loads(settings.GROUND_LAND_TOPOJSON.read_text(encoding="utf-8"))
    polygons = [shape(geometry) for geometry in _topojson_geometries(topology, "land")]
    land = unary_union([polygon.buffer(0) for polygon in polygons])
    return unary_union([land, affinity.translate(land, xoff=360.0)])


def _topojson_geometries(topology: dict, name: str) -> list[dict]:
    """Decode the (quantised, delta-encoded) arcs of a TopoJSON object into GeoJSON geometries."""
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        points = np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate
        arcs.append(points.tolist())

    def ring(indices: list[int]) -> list:
        coordinates: list = []
        for index in indices:
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            coordinates += points if not coordinates else points[1:]
        return coordinates

    def geometry(item: dict) -> list[dict]:
        if item["type"] == "Polygon":
            return [{"type": "Polygon", "coordinates": [ring(r) for r in item["arcs"]]}]
        if item["type"] == "MultiPolygon":
            return [{"type": "Polygon", "coordinates": [ring(r) for r in polygon]} for polygon in item["arcs"]]
        if item["type"] == "GeometryCollection":
            return [g for child in item["geometries"] for g in geometry(child)]
        return []

    return geometry(topology["objects"][name])
