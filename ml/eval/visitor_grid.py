"""`python -m ml visitor-grid MODEL [--upsampler MODEL] --out PNG`: a generator's pictures beside
GeoScenes photos of the same places, at the size a visitor is shown them.

One row per contrasting place (polar, desert, rainforest, megacity, village, mountain, coast,
island): four pictures the model paints of it (seeds 0-3), enlarged as the site shows them (by
the upsampler when one is given, then to `--side` by whole pixels), and four GeoScenes photos of
the same city rendered at `--side` (outliers skipped). A class the oracle can read is not yet a
picture a person can read: this grid is for the eye.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ml.cli import CommandError

# (label, GeoNames id): the eight contrasts, from the GeoNames cities of at least 500 people; the
# labels in ASCII, which the font every Pillow carries can draw.
VISITOR_PLACES = [
    ("Tromso (polar)", 3133895), ("Riyadh (desert)", 108410), ("Manaus (rainforest)", 3663517),
    ("Tokyo (megacity)", 1850147), ("Hallstatt (village)", 2776943), ("La Paz (mountain)", 3911925),
    ("Valparaiso (coast)", 3868626), ("Apia (island)", 4035413),
]
SEEDS = range(4)
LABEL_WIDTH, GAP, HEADER = 150, 12, 22
ERROR_SIDE = "--side must be between 32 and 512, got {}"


def register(subparsers) -> None:
    parser = subparsers.add_parser("visitor-grid", help="a model's pictures beside photos of the same places",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, metavar="MODEL", help="a place or ground model folder")
    parser.add_argument("--upsampler", type=Path, help="an upsample model folder, as the site serves it")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--side", type=int, default=128, help="side each picture is shown at (default 128)")
    parser.set_defaults(func=run_visitor_grid)


def real_photos(geonameid: int, side: int, count: int) -> list[Image.Image]:
    """The first `count` GeoScenes photos of the city that are scenes of it (not outliers)."""
    from ml.data.cities import world_cities
    from ml.data.geoscenes.places import place_of
    from ml.data.geoscenes.render import render_sample

    (city,) = [city for city in world_cities(500) if city.geonameid == geonameid]
    photos, index = [], 0
    while len(photos) < count:
        sample = render_sample(place_of(city), seed=0, index=index, size=side)
        if not sample.attributes["outlier"]:
            photos.append(Image.fromarray(sample.image))
        index += 1
    return photos


def shown(picture: Image.Image, side: int) -> Image.Image:
    """A picture at `side`, enlarged by whole pixels where its side divides it (as the site shows a
    small picture), else resampled."""
    if picture.width == side:
        return picture
    method = Image.Resampling.NEAREST if side % picture.width == 0 else Image.Resampling.LANCZOS
    return picture.resize((side, side), method)


def visitor_grid(pipeline, upsampler=None, side: int = 128) -> Image.Image:
    from ml.data.cities import world_cities

    seeds = list(SEEDS)
    cities = {city.geonameid: city for city in world_cities(500)}
    width = LABEL_WIDTH + 2 * len(seeds) * side + GAP
    grid = Image.new("RGB", (width, HEADER + len(VISITOR_PLACES) * side), "white")
    draw, font = ImageDraw.Draw(grid), ImageFont.load_default(size=14)
    draw.text((LABEL_WIDTH, 3), f"painted ({pipeline.kind}, {pipeline.resolution}px"
                                f"{', upsampled' if upsampler else ''})", fill="black", font=font)
    draw.text((LABEL_WIDTH + len(seeds) * side + GAP, 3), "GeoScenes photos of the same place", fill="black",
              font=font)
    for row, (label, geonameid) in enumerate(VISITOR_PLACES):
        city, top = cities[geonameid], HEADER + row * side
        painted = pipeline.generate([{"lat": city.lat, "lon": city.lon} for _ in seeds], seeds)
        if upsampler is not None:
            painted = upsampler.upsample(painted)
        draw.text((6, top + side // 2 - 8), label, fill="black", font=font)
        for column, picture in enumerate(painted):
            grid.paste(shown(picture, side), (LABEL_WIDTH + column * side, top))
        for column, photo in enumerate(real_photos(geonameid, side, len(seeds))):
            grid.paste(photo, (LABEL_WIDTH + (len(seeds) + column) * side + GAP, top))
    return grid


def run_visitor_grid(args) -> int:
    from ml.modelfolder import ModelFolderError
    from ml.pipelines import load

    if not 32 <= args.side <= 512:
        raise CommandError(ERROR_SIDE.format(args.side))
    try:
        pipeline = load(args.model)
        upsampler = load(args.upsampler) if args.upsampler else None
    except ModelFolderError as error:
        raise CommandError(str(error)) from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    visitor_grid(pipeline, upsampler, args.side).save(args.out)
    print(f"wrote {args.out}")
    return 0
