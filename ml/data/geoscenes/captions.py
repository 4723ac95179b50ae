"""Captions in varied natural language, chosen by the photo's own random generator.

Each attribute has several phrasings; a template puts them together. Every scene caption names
the density, the biome, the time of day and the weather with one of the words listed in
`KEYWORDS`, which the tests use to check that captions follow the attributes.
"""
from __future__ import annotations

import numpy as np

from ml.data.geoscenes.places import Place
from ml.data.geoscenes.sampling import PhotoSpec

DENSITY_WORDS = {
    "village": ("village", "hamlet", "small village"),
    "town": ("town", "small town", "market town"),
    "city": ("city", "cityscape", "busy city"),
    "megacity": ("megacity", "sprawling metropolis", "huge city skyline"),
}
WATER_DENSITY_WORDS = {
    "village": ("fishing village", "harbour village"),
    "town": ("harbour town", "port town"),
    "city": ("waterfront city", "port city"),
    "megacity": ("waterfront megacity", "metropolis on the water"),
}
BIOME_WORDS = {
    "polar": ("icy", "frozen", "polar"),
    "tundra": ("tundra", "barren northern", "windswept tundra"),
    "boreal": ("pine forest", "northern forest", "taiga"),
    "temperate": ("green", "leafy", "temperate"),
    "mediterranean": ("mediterranean", "sun-baked", "olive-country"),
    "desert": ("desert", "sandy", "arid desert"),
    "savanna": ("savanna", "dry grassland", "golden savanna"),
    "tropical": ("tropical", "jungle", "lush tropical"),
    "alpine": ("alpine", "mountain", "high mountain"),
}
TIME_WORDS = {
    "day": ("in the daytime", "at midday", "on a bright afternoon", "by day"),
    "golden_hour": ("at golden hour", "at sunset", "in the evening light", "at dusk"),
    "night": ("at night", "after dark", "under the night sky", "by night"),
}
WEATHER_WORDS = {
    "clear": ("clear", "sunny", "cloudless"),
    "cloudy": ("cloudy", "overcast", "grey"),
    "rain": ("rainy", "wet", "drizzly"),
    "snow": ("snowy", "snow-covered", "wintry"),
    "fog": ("foggy", "misty", "hazy"),
}
STYLE_WORDS = {
    "african": "earthen walls", "asian": "curved dark roofs", "european": "red-tiled roofs",
    "north_american": "glass towers and gabled houses", "south_american": "brightly painted walls",
    "oceanian": "tin roofs",
}
LANDMARK_WORDS = {
    "tower": "its tall tower", "dome": "its great dome", "arch": "its monumental arch",
    "pyramid": "its pyramid", "spire": "its cathedral spire", "pagoda": "its pagoda",
    "wheel": "its giant wheel", "obelisk": "its obelisk",
}
OUTLIER_CAPTIONS = {
    "food": ("a plate of food", "lunch, seen from above", "what I had for dinner"),
    "selfie": ("a selfie", "me, with a caption", "a close-up portrait with text"),
    "texture": ("a close-up of a texture", "an abstract pattern", "a wall, up close"),
}
KEYWORDS = {"density": DENSITY_WORDS, "biome": BIOME_WORDS, "time_of_day": TIME_WORDS,
            "weather": WEATHER_WORDS}

_TEMPLATES = (
    "a {weather} {biome} {place} {time}",
    "{weather} {biome} {place} {time}{water}",
    "{time_cap}, a {biome} {place}, {weather}{landmark}",
    "photo of a {place} in {biome} country, {weather}, {time}{landmark}",
    "the {place} of {city}, {weather} and {biome}, {time}{style}",
    "{weather} weather over a {biome} {place} {time}{style}",
    "a {biome} {place} with {style_words}, {weather}, {time}{landmark}",
)


def _choose(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def caption(place: Place, spec: PhotoSpec, rng: np.random.Generator) -> str:
    if spec.outlier != "none":
        return _choose(rng, OUTLIER_CAPTIONS[spec.outlier])
    water_place = place.climate.water and rng.random() < 0.6
    words = WATER_DENSITY_WORDS if water_place else DENSITY_WORDS
    weather_words = WEATHER_WORDS[spec.weather]
    if spec.time_of_day == "night" and spec.weather == "clear":
        weather_words = ("clear", "cloudless")
    time = _choose(rng, TIME_WORDS[spec.time_of_day])
    landmark = ""
    if spec.landmark_visible and place.landmark is not None:
        landmark = f", with {LANDMARK_WORDS[place.landmark.kind]}"
    text = _choose(rng, _TEMPLATES).format(
        weather=_choose(rng, weather_words),
        biome=_choose(rng, BIOME_WORDS[place.biome]),
        place=_choose(rng, words[place.density]),
        time=time,
        time_cap=time[0].upper() + time[1:],
        water=" by the water" if place.climate.water and not water_place else "",
        landmark=landmark,
        city=place.city.asciiname or place.city.name,
        style=f", {STYLE_WORDS[place.style]}" if rng.random() < 0.5 else "",
        style_words=STYLE_WORDS[place.style],
    )
    return text
