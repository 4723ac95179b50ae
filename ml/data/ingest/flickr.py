"""Harvesting geotagged photos of a city from Flickr (`flickr.photos.search`, `flickrapi`).

The search covers a box around the city (split in two where it crosses the antimeridian) or,
for radii Flickr accepts (<= 32 km), a lat/lon/radius circle; results outside the radius are
dropped. Only reusable licences are kept (filtered by the API and again here). Requests are
rate-limited (at most one per `min_interval` seconds; API calls and downloads alike). The
state file `flickr-state.json` in the output folder records the pages done and the photo ids
handled, so a rerun with the same options continues where the last one stopped. The search
function, the fetcher, the clock and sleep are injectable so tests run on recorded responses.
"""
from __future__ import annotations

import json
import math
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ml.data.cities import City, haversine_km
from ml.data.ingest.sources import Candidate, PhotoError, Skip

# Flickr licence ids (flickr.photos.licenses.getInfo).
LICENCES = {
    "0": "All Rights Reserved", "1": "CC BY-NC-SA 2.0", "2": "CC BY-NC 2.0", "3": "CC BY-NC-ND 2.0",
    "4": "CC BY 2.0", "5": "CC BY-SA 2.0", "6": "CC BY-ND 2.0", "7": "No known copyright restrictions",
    "8": "United States Government Work", "9": "CC0 1.0", "10": "Public Domain Mark 1.0",
    "11": "CC BY 4.0", "12": "CC BY-SA 4.0", "13": "CC BY-ND 4.0", "14": "CC BY-NC 4.0",
    "15": "CC BY-NC-SA 4.0", "16": "CC BY-NC-ND 4.0",
}
# Reuse with changes allowed, commercial use included (a trained model is a derived work).
DEFAULT_LICENCES = ("4", "5", "9", "10", "11", "12")
EXTRAS = "geo,license,url_c,owner_name,date_taken"
PER_PAGE = 250
MAX_RADIUS_QUERY_KM = 32.0  # Flickr's limit for lat/lon/radius searches
KM_PER_DEGREE = 111.32
STATE_FILE = "flickr-state.json"

REASON_LICENCE = "licence {} not in the accepted licences"
REASON_NO_URL = "no url_c (photo too small or not downloadable)"
REASON_OUTSIDE = "outside the radius ({:.1f} km from the city)"
REASON_DOWNLOAD = "download failed ({})"


class RateLimiter:
    """Blocks so that successive calls are at least `min_interval` seconds apart."""

    def __init__(self, min_interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.min_interval, self.clock, self.sleep = min_interval, clock, sleep
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            remaining = self._last + self.min_interval - self.clock()
            if remaining > 0:
                self.sleep(remaining)
        self._last = self.clock()


def bounding_boxes(lat: float, lon: float, radius_km: float) -> list[tuple[float, float, float, float]]:
    """(min_lon, min_lat, max_lon, max_lat) boxes covering the circle; two across the antimeridian."""
    dlat = radius_km / KM_PER_DEGREE
    min_lat, max_lat = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    widest = max(abs(min_lat), abs(max_lat))
    cos = math.cos(math.radians(widest))
    dlon = 180.0 if cos < 1e-6 else min(radius_km / (KM_PER_DEGREE * cos), 180.0)
    west, east = lon - dlon, lon + dlon
    if dlon >= 180.0:
        return [(-180.0, min_lat, 180.0, max_lat)]
    if west < -180.0:
        return [(west + 360.0, min_lat, 180.0, max_lat), (-180.0, min_lat, east, max_lat)]
    if east > 180.0:
        return [(west, min_lat, 180.0, max_lat), (-180.0, min_lat, east - 360.0, max_lat)]
    return [(west, min_lat, east, max_lat)]


def search_queries(city: City, radius_km: float, mode: str = "bbox") -> list[dict]:
    """The `flickr.photos.search` parameters (less paging and licences) covering the city."""
    if mode == "radius":
        if radius_km > MAX_RADIUS_QUERY_KM:
            raise ValueError(f"Flickr's radius search allows at most {MAX_RADIUS_QUERY_KM:g} km")
        return [{"lat": f"{city.lat:.6f}", "lon": f"{city.lon:.6f}", "radius": f"{radius_km:g}",
                 "radius_units": "km"}]
    return [{"bbox": ",".join(f"{v:.6f}" for v in box)} for box in bounding_boxes(city.lat, city.lon, radius_km)]


@dataclass
class HarvestState:
    """What a harvest has done, saved after every page and photo (atomically)."""
    path: Path
    pages_done: dict[str, list[int]] = field(default_factory=dict)  # query key -> pages
    photos_done: set[str] = field(default_factory=set)
    pages_total: dict[str, int] = field(default_factory=dict)  # query key -> pages Flickr reported

    @classmethod
    def load(cls, path: Path) -> "HarvestState":
        if not path.is_file():
            return cls(path)
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(path, {k: list(v) for k, v in raw.get("pages_done", {}).items()}, set(raw.get("photos_done", [])),
                   dict(raw.get("pages_total", {})))

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"pages_done": self.pages_done, "pages_total": self.pages_total,
                                         "photos_done": sorted(self.photos_done)}),
                             encoding="utf-8")
        temporary.replace(self.path)

    def page_done(self, key: str, page: int) -> bool:
        return page in self.pages_done.get(key, [])

    def mark_page(self, key: str, page: int) -> None:
        self.pages_done.setdefault(key, []).append(page)
        self.save()

    def mark_photo(self, photo_id: str) -> None:
        self.photos_done.add(photo_id)
        self.save()


def urllib_fetch(url: str, timeout: float = 30.0) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "genius-loci-ingest"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def flickrapi_search(api_key: str, api_secret: str) -> Callable[..., dict]:
    """`flickr.photos.search` through the `flickrapi` package, answering parsed JSON."""
    import flickrapi

    api = flickrapi.FlickrAPI(api_key, api_secret, format="parsed-json")
    return lambda **params: api.photos.search(**params)


class FlickrHarvester:
    def __init__(self, *, search: Callable[..., dict], state: HarvestState, city: City, radius_km: float,
                 licences=DEFAULT_LICENCES, mode: str = "bbox", max_photos: int | None = None,
                 fetch: Callable[[str], bytes] = urllib_fetch, limiter: RateLimiter | None = None,
                 per_page: int = PER_PAGE):
        self.search, self.state, self.city, self.radius_km = search, state, city, radius_km
        self.licences = tuple(str(code) for code in licences)
        self.queries = search_queries(city, radius_km, mode)
        self.max_photos, self.fetch, self.per_page = max_photos, fetch, per_page
        self.limiter = limiter or RateLimiter()
        self.requests = 0

    def _call(self, query: dict, page: int) -> dict:
        self.limiter.wait()
        self.requests += 1
        answer = self.search(**query, page=page, per_page=self.per_page, has_geo=1, extras=EXTRAS,
                             license=",".join(self.licences), content_type=1, media="photos")
        if answer.get("stat") != "ok":
            raise RuntimeError(f"flickr.photos.search failed: {answer.get('message', answer)}")
        return answer["photos"]

    def candidates(self) -> Iterator[Candidate | Skip]:
        """Photos not handled by an earlier run, page by page; stops after `max_photos` handled."""
        for query in self.queries:
            key = json.dumps(query, sort_keys=True)
            page, pages = 1, self.state.pages_total.get(key, 1)
            while page <= pages:
                if self._enough():
                    return
                if self.state.page_done(key, page):
                    page += 1
                    continue
                answer = self._call(query, page)
                pages = self.state.pages_total[key] = int(answer.get("pages", 1))
                for photo in answer.get("photo", []):
                    if self._enough():
                        return
                    if str(photo["id"]) in self.state.photos_done:
                        continue
                    yield self._candidate(photo)
                    self.state.mark_photo(str(photo["id"]))
                self.state.mark_page(key, page)
                page += 1

    def _enough(self) -> bool:
        return self.max_photos is not None and len(self.state.photos_done) >= self.max_photos

    def _candidate(self, photo: dict) -> Candidate | Skip:
        name = f"flickr:{photo['id']}"
        licence = str(photo.get("license", ""))
        if licence not in self.licences:
            return Skip(name, REASON_LICENCE.format(LICENCES.get(licence, licence)))
        url = photo.get("url_c")
        if not url:
            return Skip(name, REASON_NO_URL)
        lat, lon = float(photo["latitude"]), float(photo["longitude"])
        distance = float(haversine_km(lat, lon, self.city.lat, self.city.lon))
        if distance > self.radius_km:
            return Skip(name, REASON_OUTSIDE.format(distance))
        page_url = f"https://www.flickr.com/photos/{photo.get('owner', '')}/{photo['id']}"
        return Candidate(
            name=url, read=self._reader(url), lat=lat, lon=lon, caption=str(photo.get("title", "")).strip(),
            licence=LICENCES.get(licence, licence),
            source={"kind": "flickr", "photo_id": str(photo["id"]), "owner": photo.get("owner", ""),
                    "owner_name": photo.get("ownername", ""), "date_taken": photo.get("datetaken", ""),
                    "url": page_url, "accuracy": int(photo.get("accuracy", 0) or 0)})

    def _reader(self, url: str) -> Callable[[], bytes]:
        def read() -> bytes:
            self.limiter.wait()
            try:
                return self.fetch(url)
            except Exception as error:  # network errors of any library: report, skip
                raise PhotoError(REASON_DOWNLOAD.format(error)) from None
        return read
