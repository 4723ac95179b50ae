"""GeoScenes: a deterministic synthetic world whose ground truth is known.

A place is a real city (`ml.data.cities`); its biome comes from world fields of its real
coordinates (temperature, elevation, humidity, water: `world.py`), its building density from its
real population, its architectural style from its continent, and each of the 100 most populous
cities has a landmark of its own (`places.py`). Each photo adds what social-media photos vary
in (`sampling.py`): viewpoint, zoom, time of day, weather, filter, occluder, and about 5%
outliers that are not scenes at all. Rendering uses numpy and Pillow only.

Run it:  python -m ml geoscenes --cities N|all --per-city K --size 64 --out DIR
         [--seed S] [--min-population P] [--workers W] [--background] [--steps]

Cities: `--cities all` takes every city with at least P inhabitants; `--cities N` takes N of
them by greedy farthest-point sampling on the sphere weighted by sqrt(log10(population)),
starting from the most populous city (so N=1 is the largest city, and N=25 spreads over all
continents, climates and sizes). Same arguments give byte-identical files.

The standard dataset format (also written by other sources; read by `ml.data.dataset`)
---------------------------------------------------------------------------------------
DIR/dataset.json   {"format": "genius-loci-dataset", "version": 1, "source": "geoscenes",
                    "args": {...the CLI options...}, "count": N, "cities": C, "size": S,
                    "mask_encoding": "rle-row-major",
                    "attributes": {name: [classes...]}}   (written last: without it the folder
                    is incomplete)
DIR/manifest.jsonl one JSON object per line and per sample, in sample order:
    {"id": "000000", "image": "images/000000.png", "lat": .., "lon": .., "city": geonameid,
     "city_name": "..", "country": "NO", "attributes": {...}, "caption": "...",
     "overhead": "overhead/000000.png", "layers": [...]}
DIR/images/<id>.png    the photo, RGB, S x S
DIR/overhead/<id>.png  the top-down tile of the same spot, RGB, S x S

attributes: the categorical ones listed in dataset.json (biome, density, style, time_of_day,
weather, filter, occluder, water, landmark, landmark_kind, outlier, outlier_kind) plus
landmark_id (the city's geonameid when its landmark is in view, else 0), horizon, zoom,
temperature_c, humidity, elevation_km, continent, population, lat, lon, city. An outlier keeps
the attributes of its place, but its picture shows none of them: leave `outlier: true` rows out
of attribute supervision and metrics.

layers: back to front. Each is {"category", "kind": "background"|"object", "colour": [r,g,b]
(the fill before light and weather), "box": [x0, y0, x1, y1] (pixels; x1, y1 exclusive, so
0 <= x0 < x1 <= S), "mask": {"size": [S, S], "counts": [...]}} plus a few category-specific
fields (e.g. landmark_id). Masks are visible masks (what occluders hide is not in them), do not
overlap, and together cover the image. "counts" are row-major run lengths alternating
not-in-mask / in-mask, starting with not-in-mask (possibly 0): decode with `canvas.rle_decode`.
Background layers are sky and ground (table/backdrop/texture for outliers); object categories:
sun, moon, cloud, mountain, forest, water, boat, road, building, landmark, tree, lamppost,
person, branch (and plate, food, hair, face, shoulders, eyes, text for outliers).

Compose outputs (`--background`, `--steps`; off by default): each scene without its foreground
objects (boat, building, landmark, tree, lamppost, person, branch), and the foreground added one
object at a time; their files and manifest keys are described in `writer.py`.
"""
from ml.data.geoscenes.places import Place, place_of, select_cities
from ml.data.geoscenes.render import ATTRIBUTE_CLASSES, Sample, render_sample
from ml.data.geoscenes.writer import write_dataset

__all__ = ["ATTRIBUTE_CLASSES", "Place", "Sample", "place_of", "render_sample", "select_cities",
           "write_dataset"]
