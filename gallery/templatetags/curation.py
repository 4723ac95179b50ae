"""`{% load curation %}`: `user|is_curator`, and `exhibition|cover` (the artwork to show for it)."""
from django import template

from gallery.curation.permissions import is_curator as _is_curator
from gallery.curation.selectors import exhibition_cover

register = template.Library()


@register.filter
def is_curator(user) -> bool:
    return _is_curator(user)


@register.filter
def cover(exhibition):
    return exhibition_cover(exhibition=exhibition)
