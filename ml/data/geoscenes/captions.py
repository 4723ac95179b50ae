"""Captions in varied natural language, chosen by the photo's own random generator.

Each attribute value has five to nine phrasings, so that an edit model trained on the captions
meets some of the variety of words a visitor brings; a template puts them together. Every scene
caption names the density, the biome, the time of day and the weather with one of the words
listed in `KEYWORDS`, which the tests use to check that captions follow the attributes.
"""
from __future__ import annotations

import numpy as np

from ml.data.geoscenes.places import Place
from ml.data.geoscenes.sampling import PhotoSpec

DENSITY_WORDS = {
    "village": ("village", "hamlet", "small village", "rural village", "tiny settlement"),
    "town": ("town", "small town", "market town", "country town", "township"),
    "city": ("city", "cityscape", "busy city", "big city", "urban centre"),
    "megacity": ("megacity", "sprawling metropolis", "huge city skyline", "megalopolis", "vast metropolis"),
}
WATER_DENSITY_WORDS = {
    "village": ("fishing village", "harbour village"),
    "town": ("harbour town", "port town"),
    "city": ("waterfront city", "port city"),
    "megacity": ("waterfront megacity", "metropolis on the water"),
}
BIOME_WORDS = {
    "polar": ("icy", "frozen", "polar", "arctic", "glacial", "ice-bound"),
    "tundra": ("tundra", "barren northern", "windswept tundra", "subarctic", "bleak northern"),
    "boreal": ("pine forest", "northern forest", "taiga", "spruce forest", "boreal", "conifer"),
    "temperate": ("green", "leafy", "temperate", "verdant", "woodland", "meadow"),
    "mediterranean": ("mediterranean", "sun-baked", "olive-country", "cypress-dotted", "terracotta", "vineyard"),
    "desert": ("desert", "sandy", "arid desert", "parched", "dusty", "sand-dune"),
    "savanna": ("savanna", "dry grassland", "golden savanna", "acacia", "grassland", "safari"),
    "tropical": ("tropical", "jungle", "lush tropical", "palm-fringed", "steamy", "equatorial"),
    "alpine": ("alpine", "mountain", "high mountain", "mountainous", "highland", "craggy"),
}
TIME_WORDS = {
    "day": ("in the daytime", "at midday", "on a bright afternoon", "by day", "in broad daylight",
            "in the morning", "during the day", "at lunchtime"),
    "golden_hour": ("at golden hour", "at sunset", "in the evening light", "at dusk", "at sundown",
                    "at twilight", "as evening falls", "in the glow of evening"),
    "night": ("at night", "after dark", "under the night sky", "by night", "at nighttime", "in the dark",
              "late at night", "under the stars", "by moonlight"),
}
WEATHER_WORDS = {
    "clear": ("clear", "sunny", "cloudless", "fine", "sun-drenched", "sunlit", "unclouded"),
    "cloudy": ("cloudy", "overcast", "grey", "gloomy", "dull", "leaden", "clouded"),
    "rain": ("rainy", "wet", "drizzly", "rain-soaked", "showery", "stormy", "rain-swept"),
    "snow": ("snowy", "snow-covered", "wintry", "snowbound", "snow-clad", "snowed-in", "snow-blanketed"),
    "fog": ("foggy", "misty", "hazy", "murky", "mist-shrouded", "smoggy"),
}
# A clear night is neither sunny nor sunlit.
CLEAR_NIGHT_WORDS = ("clear", "cloudless", "unclouded")
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
    "{time_cap} in a {biome} {place}; the weather is {weather}{style}",
    "{weather} and {biome}: a {place} {time}{landmark}",
    "a {place} in the {biome} land {time}, {weather}{water}",
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
        weather_words = CLEAR_NIGHT_WORDS
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
