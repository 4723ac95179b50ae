"""Colours and shapes: how each biome, architectural style and time of day looks.

Kept apart from the drawing code so the look of the world can be tuned in one place. Colours
are RGB before lighting; the scene is lit afterwards by time of day and weather.
"""
from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class BiomeLook:
    ground_far: Colour
    ground_near: Colour
    tree: str  # tree shape drawn in the foreground ("" for none)
    trees: tuple[int, int]  # how many foreground trees
    foliage: Colour
    forest_belt: bool  # a band of woods along the horizon
    mountains: float  # probability of a mountain ridge behind the city
    mountain: Colour
    snowcaps: bool


BIOME_LOOKS = {
    "polar": BiomeLook((222, 230, 240), (246, 249, 252), "", (0, 0), (0, 0, 0), False, 0.7,
                       (150, 165, 185), True),
    "tundra": BiomeLook((150, 146, 112), (122, 116, 84), "shrub", (2, 5), (95, 100, 60), False, 0.6,
                        (110, 112, 120), True),
    "boreal": BiomeLook((58, 92, 60), (42, 74, 44), "conifer", (3, 7), (22, 62, 40), True, 0.5,
                        (85, 100, 115), True),
    "temperate": BiomeLook((118, 168, 82), (84, 146, 60), "round", (2, 5), (46, 120, 44), True, 0.25,
                           (100, 125, 145), False),
    "mediterranean": BiomeLook((190, 172, 112), (166, 150, 92), "cypress", (2, 4), (70, 95, 50), False,
                               0.35, (150, 135, 115), False),
    "desert": BiomeLook((232, 196, 134), (218, 172, 106), "cactus", (0, 2), (80, 130, 70), False, 0.3,
                        (196, 140, 96), False),
    "savanna": BiomeLook((206, 180, 92), (190, 160, 66), "acacia", (1, 3), (96, 118, 46), False, 0.15,
                         (150, 125, 95), False),
    "tropical": BiomeLook((44, 136, 64), (28, 112, 46), "palm", (3, 6), (20, 120, 50), True, 0.3,
                          (60, 105, 90), False),
    "alpine": BiomeLook((128, 140, 118), (104, 124, 92), "conifer", (2, 5), (30, 70, 45), False, 1.0,
                        (105, 108, 125), True),
}


@dataclass(frozen=True)
class StyleLook:
    walls: tuple[Colour, ...]
    roofs: tuple[Colour, ...]
    roof: str  # roof shape of low buildings: gable, flared, hip, shed, cone, flat
    top: str  # top of towers: flat, antenna, stepped, spire
    window: tuple[float, float, float, float]  # period x, period y, width, height (x image side)
    glass: Colour  # windows by day


STYLE_LOOKS = {
    "european": StyleLook(((236, 216, 170), (214, 172, 122), (200, 190, 172), (238, 200, 160)),
                          ((180, 72, 44), (160, 58, 40), (128, 62, 52)), "gable", "flat",
                          (0.036, 0.05, 0.016, 0.026), (60, 62, 78)),
    "asian": StyleLook(((226, 226, 220), (184, 46, 44), (198, 200, 196)),
                       ((38, 62, 72), (58, 58, 70), (30, 92, 82)), "flared", "stepped",
                       (0.03, 0.042, 0.026, 0.013), (70, 90, 110)),
    "north_american": StyleLook(((118, 150, 184), (150, 156, 168), (140, 82, 62)),
                                ((70, 72, 80), (96, 98, 104)), "gable", "antenna",
                                (0.022, 0.03, 0.015, 0.019), (160, 200, 230)),
    "south_american": StyleLook(((58, 140, 204), (242, 204, 60), (232, 112, 142), (92, 182, 122)),
                                ((196, 96, 56), (170, 80, 50)), "shed", "flat",
                                (0.046, 0.05, 0.02, 0.02), (50, 50, 60)),
    "african": StyleLook(((204, 152, 100), (182, 122, 80), (236, 226, 206)),
                         ((120, 84, 50), (150, 110, 60)), "cone", "flat",
                         (0.05, 0.06, 0.015, 0.016), (40, 30, 25)),
    "oceanian": StyleLook(((242, 242, 236), (214, 226, 232), (236, 222, 200)),
                          ((150, 160, 166), (80, 122, 92), (170, 80, 60)), "hip", "spire",
                          (0.05, 0.05, 0.03, 0.018), (90, 130, 150)),
}

# Buildings per density: (count range, width range, height range) in fractions of the side,
# and whether a hazy second row stands behind the first.
DENSITY_LOOKS = {
    "village": ((3, 6), (0.07, 0.12), (0.04, 0.08), False),
    "town": ((6, 10), (0.07, 0.12), (0.07, 0.17), False),
    "city": ((10, 15), (0.06, 0.11), (0.14, 0.36), True),
    "megacity": ((15, 24), (0.05, 0.09), (0.24, 0.55), True),
}
LIT_WINDOWS = {"village": 0.45, "town": 0.55, "city": 0.65, "megacity": 0.75}
NIGHT_WINDOW = (255, 212, 120)
DARK_WINDOW = (24, 24, 34)

# Sky gradients (top, bottom) by time of day, and by weather where it overrides the time.
SKY = {
    ("day", "clear"): ((64, 128, 222), (168, 210, 242)),
    ("golden_hour", "clear"): ((86, 76, 150), (252, 168, 84)),
    ("night", "clear"): ((6, 10, 32), (28, 38, 82)),
    ("day", "overcast"): ((136, 142, 152), (192, 194, 198)),
    ("golden_hour", "overcast"): ((116, 98, 108), (204, 150, 118)),
    ("night", "overcast"): ((22, 22, 30), (44, 44, 54)),
    ("day", "fog"): ((206, 208, 212), (222, 222, 224)),
    ("golden_hour", "fog"): ((196, 170, 156), (226, 196, 170)),
    ("night", "fog"): ((54, 56, 66), (74, 76, 86)),
}
# Multiplicative light on everything that is not sky, sun, moon or a lamp.
LIGHT = {"day": (1.0, 1.0, 1.0), "golden_hour": (1.12, 0.84, 0.62), "night": (0.2, 0.23, 0.38)}
FOG_COLOUR = {"day": (214, 216, 220), "golden_hour": (220, 186, 160), "night": (64, 66, 76)}
WATER = {"clear": (46, 110, 170), "cloudy": (76, 98, 112), "frozen": (200, 220, 236)}
