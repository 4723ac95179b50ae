import json
from pathlib import Path

import pytest

from ml.cli import main
from ml.data.cities import City
from ml.data.ingest.flickr import (STATE_FILE, RateLimiter, bounding_boxes,
                                   search_queries)
from ml.data.ingest import cli as ingest_cli
from tests.ml.data.ingest.conftest import picture, png_bytes

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = {n: json.loads((FIXTURES / f"photos_search_page{n}.json").read_text()) for n in (1, 2)}
ALLOWED = {"53120000001", "53120000003", "53120000005", "53120000006", "53120000008"}


class Recorded:
    """flickr.photos.search answered from the recorded pages; calls are logged."""

    def __init__(self, fail_on_page=None):
        self.calls, self.fail_on_page = [], fail_on_page

    def __call__(self, **params):
        self.calls.append(params)
        if params["page"] == self.fail_on_page:
            raise ConnectionError("network down")
        return PAGES[params["page"]]


class FakeTime:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def fetch(url):
    return png_bytes(picture(int(url.split("/")[-1].split("_")[0]) % 1000, (120, 90)))


def harvest(out, search, time, extra=()):
    import argparse
    parser = argparse.ArgumentParser()
    ingest_cli.register(parser.add_subparsers())
    args = parser.parse_args(["ingest", "flickr", "--city", "Oslo", "--radius-km", "10", "--out", str(out),
                              "--size", "16", *extra])
    return ingest_cli.run_flickr(args, search=search, fetch=fetch, clock=time.clock, sleep=time.sleep)


def test_bbox_splits_across_the_antimeridian():
    boxes = bounding_boxes(-17.0, 179.9, 50.0)
    assert len(boxes) == 2
    (w1, s1, e1, n1), (w2, s2, e2, n2) = boxes
    assert e1 == 180.0 and w2 == -180.0 and w1 > 179.0 and e2 < -179.0 and s1 == s2 and n1 == n2
    assert len(bounding_boxes(59.9, 10.7, 10.0)) == 1
    city = City(1, "X", "X", "FJ", "OC", -17.0, 179.9, 1, "")
    assert search_queries(city, 10, "radius") == [{"lat": "-17.000000", "lon": "179.900000", "radius": "10",
                                                   "radius_units": "km"}]


def test_rate_limiter_spaces_calls():
    time = FakeTime()
    limiter = RateLimiter(1.0, clock=time.clock, sleep=time.sleep)
    limiter.wait()
    time.now += 0.25
    limiter.wait()
    limiter.wait()
    assert time.sleeps == pytest.approx([0.75, 1.0])


def test_harvest_over_recorded_pages(tmp_path):
    out, search, time = tmp_path / "oslo", Recorded(), FakeTime()
    assert harvest(out, search, time) == 0
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    ids = {r["source"]["photo_id"] for r in rows}
    assert ids == ALLOWED
    assert all(r["city_name"] == "Oslo" and r["licence"].startswith(("CC", "Public")) for r in rows)
    assert rows[0]["caption"] == "Oslo walk 1" and rows[0]["source"]["owner_name"] == "walker1"
    assert [call["page"] for call in search.calls] == [1, 2]
    assert search.calls[0]["has_geo"] == 1 and "bbox" in search.calls[0]
    assert search.calls[0]["license"] == "4,5,9,10,11,12"
    assert search.calls[0]["extras"] == "geo,license,url_c,owner_name,date_taken"
    # 2 searches + 5 downloads, at most one per second: each after the first waited.
    assert len(time.sleeps) == 6 and time.now >= 6.0
    skipped = (out / "skipped.jsonl").read_text()
    assert "licence All Rights Reserved" in skipped and "no url_c" in skipped
    info = json.loads((out / "dataset.json").read_text())
    assert info["source"] == "flickr" and info["count"] == 5 and info["city"]["name"] == "Oslo"


def test_harvest_resumes_after_an_interruption(tmp_path):
    out, time = tmp_path / "oslo", FakeTime()
    failing = Recorded(fail_on_page=2)
    with pytest.raises(ConnectionError):
        harvest(out, failing, time)
    state = json.loads((out / STATE_FILE).read_text())
    assert list(state["pages_done"].values()) == [[1]] and len(state["photos_done"]) == 5
    search = Recorded()
    assert harvest(out, search, time) == 0
    assert [call["page"] for call in search.calls] == [2]  # page 1 is not asked again
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == ["000000", "000001", "000002", "000003", "000004"]
    assert len({r["source"]["photo_id"] for r in rows}) == 5
    again = Recorded()
    assert harvest(out, again, time) == 0
    assert again.calls == []  # everything done: no request at all


def test_max_stops_early(tmp_path):
    out, search, time = tmp_path / "oslo", Recorded(), FakeTime()
    assert harvest(out, search, time, ["--max", "3"]) == 0
    assert [call["page"] for call in search.calls] == [1]
    assert len(json.loads((out / STATE_FILE).read_text())["photos_done"]) == 3


def test_flickr_without_keys_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FLICKR_API_KEY", raising=False)
    assert main(["ingest", "flickr", "--city", "3143244", "--radius-km", "5", "--out", str(tmp_path / "o")]) == 2
    assert "FLICKR_API_KEY" in capsys.readouterr().err


def test_flickrapi_search_sends_the_query_through_the_package(monkeypatch):
    """The real `flickrapi` client builds the signed request and parses the recorded answer."""
    import flickrapi.auth

    from ml.data.ingest.flickr import flickrapi_search

    sent = []

    def do_request(self, url, params=None, timeout=None):
        sent.append((url, dict(params)))
        return json.dumps({**PAGES[int(params["page"])], "stat": "ok"}).encode()

    monkeypatch.setattr(flickrapi.auth.OAuthFlickrInterface, "do_request", do_request)
    search = flickrapi_search("key", "secret")
    answer = search(bbox="10.5,59.8,11.0,60.0", page=2, per_page=5, has_geo=1, license="4,5")
    (url, params), = sent
    assert url.endswith("/services/rest/")
    assert params["method"] == "flickr.photos.search" and params["bbox"] == "10.5,59.8,11.0,60.0"
    assert params["format"] == "json" and params["nojsoncallback"] == 1
    assert answer["photos"]["page"] == 2 and answer["stat"] == "ok"
