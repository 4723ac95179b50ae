"""Curation: the pool of artworks curators work from (favourites, moderation), exhibitions
(items, order, wall texts, publishing), their public pages, kiosk and catalogue."""
