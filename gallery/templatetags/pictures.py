"""`{% load pictures %}`: `artwork|picture_class`, the classes of an artwork's picture: a model's
own picture is drawn with hard pixel edges, an upsampler's enlargement smoothed (see site.css)."""
from django import template

register = template.Library()


@register.filter
def picture_class(artwork) -> str:
    return "picture upsampled" if artwork.native_image else "picture"
