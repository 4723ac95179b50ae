"""GPS coordinates from a photo's EXIF (Pillow only, no extra EXIF library).

EXIF keeps latitude and longitude in the GPS IFD (tag 0x8825) as three rationals (degrees,
minutes, seconds) plus a reference letter (N/S, E/W).
"""
from __future__ import annotations

from PIL import Image

GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4


def _degrees(value) -> float:
    """Degrees from EXIF's (deg, min, sec) rationals (a single number is accepted too)."""
    if isinstance(value, (tuple, list)):
        parts = [float(part) for part in value] + [0.0, 0.0]
        return parts[0] + parts[1] / 60.0 + parts[2] / 3600.0
    return float(value)


def _ref(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value or "").strip("\x00 ").upper()


def gps_from_exif(exif: Image.Exif) -> tuple[float, float] | None:
    """(lat, lon) in degrees from an `Image.Exif`, or None when absent or malformed."""
    try:
        gps = exif.get_ifd(GPS_IFD)
    except Exception:  # a corrupt IFD is "no GPS", not a crash
        return None
    if not gps or GPS_LATITUDE not in gps or GPS_LONGITUDE not in gps:
        return None
    try:
        lat, lon = _degrees(gps[GPS_LATITUDE]), _degrees(gps[GPS_LONGITUDE])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if lat != lat or lon != lon:  # NaN from a 0/0 rational
        return None
    if _ref(gps.get(GPS_LATITUDE_REF)) == "S":
        lat = -abs(lat)
    if _ref(gps.get(GPS_LONGITUDE_REF)) == "W":
        lon = -abs(lon)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon


def gps_of(image: Image.Image) -> tuple[float, float] | None:
    """(lat, lon) of an opened image, or None."""
    try:
        exif = image.getexif()
    except Exception:
        return None
    return gps_from_exif(exif)


def _rational_dms(value: float) -> tuple:
    from PIL.TiffImagePlugin import IFDRational

    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def exif_with_gps(lat: float, lon: float) -> Image.Exif:
    """An `Image.Exif` carrying (lat, lon), for writing test photos and re-tagging."""
    exif = Image.Exif()
    exif[GPS_IFD] = {
        GPS_LATITUDE_REF: "N" if lat >= 0 else "S",
        GPS_LATITUDE: _rational_dms(lat),
        GPS_LONGITUDE_REF: "E" if lon >= 0 else "W",
        GPS_LONGITUDE: _rational_dms(lon),
    }
    return exif
