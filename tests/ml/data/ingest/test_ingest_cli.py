import json
import tarfile

from ml.cli import main
from ml.data.dataset import ManifestDataset
from tests.ml.data.ingest.conftest import jpeg_bytes, picture


def read_rows(out):
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def test_folder_ingest_skips_bad_files_with_their_paths(photo_folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["ingest", "folder", str(photo_folder), "--out", str(out), "--size", "32",
                 "--shard-size", "2"]) == 0
    printed = capsys.readouterr().out
    rows = read_rows(out)
    assert sorted(r["city_name"] for r in rows) == ["Oslo", "Sydney", "Tokyo"]
    assert all(r["attributes"] == {} and r["caption"] == "" for r in rows)
    info = json.loads((out / "dataset.json").read_text())
    assert info["source"] == "folder" and info["count"] == 3 and info["duplicates"] == 1
    reasons = {json.loads(l)["path"].rsplit("/", 1)[-1]: json.loads(l)["reason"]
               for l in (out / "skipped.jsonl").read_text().splitlines()}
    assert "truncated" in reasons["truncated.jpg"]
    assert "not an image" in reasons["notes.jpg"]
    assert "decompression bomb" in reasons["bomb.png"]
    assert "no GPS" in reasons["nogps.jpg"]
    assert "near-duplicate" in reasons.get("oslo-copy.jpg", "") + reasons.get("oslo.jpg", "")
    for name in ("truncated.jpg", "notes.jpg", "bomb.png", "nogps.jpg"):
        assert name in printed
    dataset = ManifestDataset(out)
    assert len(dataset) == 3 and tuple(dataset[0]["image"].shape) == (3, 32, 32)
    with tarfile.open(out / "shards" / "000000.tar") as shard:
        assert shard.getnames() == ["000000.png", "000000.json", "000001.png", "000001.json"]
    with tarfile.open(out / "shards" / "000001.tar") as shard:
        assert shard.getnames() == ["000002.png", "000002.json"]


def test_manifest_ingest_reports_bad_rows_by_line(tmp_path, capsys):
    (tmp_path / "pics").mkdir()
    for seed in range(3):
        (tmp_path / "pics" / f"{seed}.jpg").write_bytes(jpeg_bytes(picture(10 + seed)))
    manifest = tmp_path / "list.csv"
    manifest.write_text("path,lat,lon,caption,licence\n"
                        "pics/0.jpg,48.8566,2.3522,Seine at dusk,CC BY 4.0\n"
                        "pics/1.jpg,north,2.35,,\n"
                        "pics/2.jpg,95,10,,\n"
                        "pics/missing.jpg,1,1,,\n"
                        "pics/2.jpg,-1.2864,36.8172,,\n")
    out = tmp_path / "out"
    assert main(["ingest", "manifest", str(manifest), "--out", str(out), "--size", "16"]) == 0
    rows = read_rows(out)
    assert [r["country"] for r in rows] == ["FR", "KE"]
    assert rows[0]["caption"] == "Seine at dusk" and rows[0]["licence"] == "CC BY 4.0"
    assert rows[0]["source"]["line"] == 2
    printed = capsys.readouterr().out
    assert "line 3: lat/lon are not numbers" in printed
    assert "line 4: lat/lon out of range" in printed
    assert "missing.jpg" in printed


def test_jsonl_manifest_reports_invalid_json_line(tmp_path, capsys):
    (tmp_path / "a.jpg").write_bytes(jpeg_bytes(picture(20)))
    manifest = tmp_path / "list.jsonl"
    manifest.write_text('{"path": "a.jpg", "lat": 35.68, "lon": 139.69, "title": "Shibuya"}\n{oops\n')
    out = tmp_path / "out"
    assert main(["ingest", "manifest", str(manifest), "--out", str(out)]) == 0
    assert read_rows(out)[0]["caption"] == "Shibuya"
    assert "line 2: invalid JSON" in capsys.readouterr().out


def test_cli_errors_are_one_line_with_exit_2(tmp_path, capsys):
    cases = [
        ["ingest", "folder", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")],
        ["ingest", "manifest", str(tmp_path), "--out", str(tmp_path / "o")],
        ["ingest", "flickr", "--city", "Nowhereville", "--radius-km", "5", "--out", str(tmp_path / "o")],
        ["ingest", "flickr", "--city", "Oslo", "--radius-km", "-1", "--out", str(tmp_path / "o")],
        ["ingest", "flickr", "--city", "Oslo", "--radius-km", "5", "--licenses", "99", "--out", str(tmp_path / "o")],
        ["outliers", str(tmp_path)],
    ]
    for argv in cases:
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: ") and error.count("\n") == 1, (argv, error)
