"""`python -m ml location-ceiling`: what the nearest training cities tell of a held-out city."""
import json

from PIL import Image

from ml.cli import main
from ml.data.dataset import is_heldout_city

# (geonameid, lon on the equator, biome, photos): three training cities, two held-out ones.
CITIES = [(2000, 0.0, "desert", 2), (2001, 10.0, "tropical", 1), (2002, 20.0, "tropical", 1),
          (2018, 1.0, "desert", 1), (2019, 19.0, "tropical", 1)]


def write_dataset(root):
    assert [is_heldout_city(city) for city, *_ in CITIES] == [False, False, False, True, True]
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (8, 8), "grey").save(root / "images" / "p.png")
    rows = [{"id": f"{city}-{n}", "image": "images/p.png", "lat": 0.0, "lon": lon, "city": city,
             "attributes": {"biome": biome, "outlier": False}} for city, lon, biome, photos in CITIES
            for n in range(photos)]
    rows.append({"id": "x", "image": "images/p.png", "lat": 0.0, "lon": 1.0, "city": 2018,
                 "attributes": {"biome": "tropical", "outlier": True}})  # an outlier says nothing of a place
    (root / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (root / "dataset.json").write_text(json.dumps({"attributes": {"biome": ["desert", "tropical"]}}))
    return root


def test_the_nearest_training_cities_vote_for_each_held_out_photo(tmp_path, capsys):
    data = write_dataset(tmp_path / "data")
    assert main(["location-ceiling", "--data", str(data), "--attributes", "biome", "--neighbours", "1,3"]) == 0
    # k=1: both held-out cities take their neighbour's biome; k=3: the desert city is outvoted.
    assert capsys.readouterr().out == ("biome: 2 photos of 2 held-out cities, 3 training cities; k nearest cities "
                                       "vote: 1: 1.000, 3: 0.500; commonest class: 0.500\n")


def test_an_attribute_the_data_lacks_or_a_bad_k_is_a_clear_error(tmp_path, capsys):
    data = write_dataset(tmp_path / "data")
    assert main(["location-ceiling", "--data", str(data), "--attributes", "density"]) == 2
    assert "lists no attribute 'density' in its dataset.json (it lists: biome)" in capsys.readouterr().err
    assert main(["location-ceiling", "--data", str(data), "--neighbours", "0"]) == 2
    assert "--neighbours must list positive integers" in capsys.readouterr().err


def test_nearest_city_photos_shows_a_real_photo_of_the_city_the_vote_chooses(tmp_path):
    """Held-out city 2018 stands beside desert city 2000: alone (k=1) that city is shown, its two
    photos by seed; with k=3 the two tropical cities outvote it and the nearer of them is shown."""
    from ml.eval.location_ceiling import NearestCityPhotos

    data = write_dataset(tmp_path / "data")
    colours = {}
    rows = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines()]
    for number, row in enumerate(rows):
        colours[row["id"]] = (number * 20, 100, 200 - number * 20)
        Image.new("RGB", (8, 8), colours[row["id"]]).save(data / "images" / f"{row['id']}.png")
        row["image"] = f"images/{row['id']}.png"
    (data / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    place = {"lat": 0.0, "lon": 1.0}

    alone = NearestCityPhotos(data, "biome", 1, resolution=8)
    assert [picture.getpixel((4, 4)) for picture in alone.generate([place] * 3, [0, 1, 2])] == [
        colours["2000-0"], colours["2000-1"], colours["2000-0"]]
    voted = NearestCityPhotos(data, "biome", 3, resolution=8)
    assert voted.generate([place], [0])[0].getpixel((4, 4)) == colours["2001-0"]


def test_with_photos_the_voted_cities_real_photos_are_measured_like_a_generator(scenes, oracle_folder, tmp_path,
                                                                               capsys):
    assert main(["location-ceiling", "--data", str(scenes), "--attributes", "biome", "--neighbours", "1",
                 "--photos", "image", "--oracle", str(oracle_folder), "--cache", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1].startswith("real images of the city the 1 nearest training cities vote for (biome), on ")
    assert " held-out photos: FID " in printed[1] and "; biome " in printed[1] and ", density " in printed[1]
