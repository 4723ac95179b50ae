"""visitor-grid: a model's pictures beside GeoScenes photos of the same eight places."""
from PIL import Image

from ml.cli import main
from ml.eval.visitor_grid import GAP, HEADER, LABEL_WIDTH, VISITOR_PLACES, real_photos, shown


def test_the_grid_has_a_row_per_place_and_the_photos_are_of_that_city(tiny_run, tmp_path):
    assert main(["export", str(tiny_run), "--checkpoint", "latest", "--out", str(tmp_path / "model")]) == 0
    assert main(["visitor-grid", str(tmp_path / "model"), "--out", str(tmp_path / "grid.png"), "--side", "32"]) == 0
    grid = Image.open(tmp_path / "grid.png")
    assert grid.size == (LABEL_WIDTH + 8 * 32 + GAP, HEADER + len(VISITOR_PLACES) * 32)
    # the first real photo of Tokyo's row is GeoScenes' first scene of Tokyo
    row = [label for label, _ in VISITOR_PLACES].index("Tokyo (megacity)")
    left, top = LABEL_WIDTH + 4 * 32 + GAP, HEADER + row * 32
    assert grid.crop((left, top, left + 32, top + 32)).tobytes() == real_photos(1850147, 32, 1)[0].tobytes()


def test_a_small_picture_is_shown_by_whole_pixels():
    picture = Image.new("RGB", (8, 8), (10, 20, 30))
    picture.putpixel((0, 0), (255, 255, 255))
    enlarged = shown(picture, 32)
    assert enlarged.size == (32, 32) and enlarged.getpixel((3, 3)) == (255, 255, 255)
    assert enlarged.getpixel((4, 4)) == (10, 20, 30)
