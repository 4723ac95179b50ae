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
