"""User-facing messages of curation; tests assert against these constants."""

NOT_A_CURATOR = "Only curators can do this; ask an admin to add you to the curators group."
EXHIBITION_UNKNOWN = "No exhibition has the slug {slug!r}."
ARTWORK_ID_INVALID = "{field} must be an artwork id (a whole number)."
ITEM_UNKNOWN = "No item {item_id} in the exhibition {slug!r}."

TITLE_REQUIRED = "title is required: give the exhibition a title."
SLUG_REQUIRED = "slug is required: the exhibition's address, such as winter-cities."
SLUG_INVALID = "slug must use only lower-case letters, digits and single hyphens, such as winter-cities (at most 80 characters)."
SLUG_TAKEN = "slug: the exhibition {title!r} already has the slug {slug!r}; choose another."
COVER_NOT_AN_ITEM = "cover must be one of the exhibition's artworks; artwork {artwork_id} is not in it."
ALREADY_AN_ITEM = "artwork: artwork {artwork_id} is already in this exhibition."
TEXT_TOO_LONG = "{field} must be at most {max} characters."

ORDER_NOT_IDS = "items must be a list of item ids (whole numbers)."
ORDER_FOREIGN = "items: {ids} do not belong to this exhibition; nothing was reordered."
ORDER_DUPLICATES = "items: {ids} appear more than once; nothing was reordered."
ORDER_INCOMPLETE = "items must list every item of this exhibition; {ids} are missing; nothing was reordered."

INTERVAL_INVALID = "interval must be a whole number of seconds from 1 to 3600."
