"""User-facing messages of the jobs API: what a job may ask for, the visitor's queue, variations
and regenerations of an artwork; tests assert against these constants."""

KIND_UNKNOWN = "Unknown kind {kind!r}; this site generates: {kinds}."
LAT_RANGE = "Latitude must be between -90 and 90."
LON_RANGE = "Longitude must be between -180 and 180."
SEED_RANGE = "Seed must be an integer from 0 to {max}."
CITY_UNKNOWN = "No city has the id {value}."
PLACE_NEEDS_LOCATION = "Give either a city id or both lat and lon."
PLACE_CITY_OR_POINT = "Give either a city id or lat and lon, not both."

# The ground generator: a drawn region (GeoJSON Polygon geometry) or a point.
GROUND_REGION_OR_POINT = "Give either a region (a GeoJSON Polygon geometry) or a point, not both."
GROUND_NEEDS_REGION = "Give a region (a GeoJSON Polygon geometry) or a point {\"lat\", \"lon\"}."

# Edits of an artwork by a text, and frames between two texts.
TEXT_REQUIRED = "Must be a text, not {type}."
TEXT_EMPTY = "The text is empty; say what should change."
TEXT_TOO_LONG = "The text has {length} characters; at most {max} are read."
TEXT_NOT_UTF8 = "The text is not valid UTF-8."
TEXT_CONTROL_CHARACTERS = "The text contains control characters."
EDIT_COUNT_RANGE = "n must be an integer from 1 to {max}."
EDIT_FRAMES_RANGE = "frames must be an integer from {min} to {max}."
EDIT_FRAMES_NEED_TWO_TEXTS = "frames are pictures between two texts; give text_to as well."
EDIT_ONE_INTERPOLATION = "An interpolation is one strip of frames; leave n out."

# The queue, variations and regenerations.
JOB_UNKNOWN = "No job has the id {job_id}."
JOB_NOT_YOURS = "This job was asked for by another visitor; only they can cancel it."
VARIATIONS_COUNT_RANGE = "count must be an integer from 1 to {max}."
MODEL_FOLDER_GONE = (
    "The model {name} that painted this artwork is no longer on disk ({folder}), so it cannot be painted again."
)
REGENERATE_SOURCE_GONE = "The artwork to paint again was deleted."
EDIT_SOURCE_GONE = "The artwork to edit was deleted."

# The composer: a background and objects painted one at a time, back to front.
COMPOSE_OBJECTS_LIST = "objects must be a list of objects, not {type}."
COMPOSE_TOO_MANY_OBJECTS = "{count} objects were given; at most {max} are painted."
COMPOSE_OBJECT_NOT_OBJECT = "Each object must be a JSON object, not {type}."
COMPOSE_CATEGORY_UNKNOWN = "Unknown category {category!r}; the active compose model paints: {categories}."
COMPOSE_CATEGORY_TEXT = "category must be a text, not {type}."
COMPOSE_BOX_FORMAT = "box must be a list of 4 finite numbers [x0, y0, x1, y1], fractions of the canvas."
COMPOSE_BOX_RANGE = "Every number of box must be between 0 and 1 (fractions of the canvas)."
COMPOSE_BOX_ORDER = "box must have x1 > x0 and y1 > y0 ([x0, y0, x1, y1])."
COMPOSE_BOX_TOO_SMALL = "Each side of box must be at least {min} of the canvas."
COMPOSE_BOX_TOO_LARGE = "box covers {share:.0%} of the canvas; at most {max:.0%} is allowed."
COMPOSE_SHAPE_UNKNOWN = "shape must be one of: {shapes}."
COMPOSE_COLOUR_FORMAT = "colour must be 3 integers from 0 to 255 ([r, g, b]) or null."
COMPOSE_BACKGROUND_REQUIRED = "Give the background: {\"city\": id} or {\"lat\", \"lon\"}."
# Changing one object of a composed artwork.
COMPOSE_BASE_NOT_COMPOSED = "Artwork {artwork_id} is not a composed artwork (it is a {kind})."
COMPOSE_BASE_OBJECT_RANGE = "object must be the index of one of the base artwork's {count} objects (0 to {last})."
COMPOSE_BASE_BACKGROUND = "A change of one object keeps its base's background; leave background out or give the same."
COMPOSE_BASE_SEED = "A change of one object keeps its base's seed ({seed}); leave seed out."
COMPOSE_BASE_OTHERS_CHANGED = (
    "Only object {index} may differ from the base: give the base's objects with that one changed, or without it "
    "to delete it."
)
COMPOSE_BASE_UNCHANGED = "Object {index} is the same as in the base; change it (move, resize, recolour, reshape) or leave it out."
COMPOSE_BASE_MODEL_GONE = (
    "The model {name} that painted the base artwork is no longer on disk ({folder}), so its objects cannot be changed."
)
