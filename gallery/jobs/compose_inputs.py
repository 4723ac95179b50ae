"""Validation of a `compose` job: a background (a city or a point) and up to 12 objects painted
back to front, each a category of the model's, a box in fractions of the canvas, a shape and an
optional colour; or a change of one object of a composed artwork (`base`).

What comes out is canonical (boxes rounded to 4 decimals, defaults filled in), so that identical
requests have identical inputs and find the earlier job.
"""
import math
from pathlib import Path

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import StrictIntegerField, StrictSerializer, json_type
from gallery import errors as gallery_errors
from gallery.jobs import errors
from gallery.jobs.place_inputs import INT64_MAX, PlaceInputsSerializer
from gallery.jobs.services import compose_background_canonical
from gallery.models import Artwork
from gallery.selectors import artwork_get
from generation.models import Kind
from generation.selectors import model_version_active
from generation.services import NoActiveModelError

OBJECTS_MAX = 12
BOX_DIGITS = 4
BOX_SIDE_MIN = 0.04
BOX_AREA_MAX = 0.5
SHAPES = ("mask", "rect", "ellipse")


def model_categories(model_version) -> list[str]:
    """The object categories a compose model version paints (its config.json's architecture)."""
    return list(model_version.config.get("architecture", {}).get("categories", []))


@extend_schema_field({
    "type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number", "minimum": 0, "maximum": 1},
    "description": (
        f"[x0, y0, x1, y1] in fractions of the canvas (0, 0 at its top left), rounded to {BOX_DIGITS} decimals, "
        f"then: x1 > x0 and y1 > y0, each side at least {BOX_SIDE_MIN:g}, and (x1 - x0) * (y1 - y0) at most "
        f"{BOX_AREA_MAX:g} (half the canvas)."
    ),
})
class BoxField(serializers.Field):
    """[x0, y0, x1, y1] in fractions of the canvas, rounded to 4 decimals, then checked."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) != 4 or any(
            isinstance(value, bool) or not isinstance(value, (int, float))
            or isinstance(value, float) and not math.isfinite(value) for value in data
        ):
            raise serializers.ValidationError(errors.COMPOSE_BOX_FORMAT)
        if any(isinstance(value, int) and not 0 <= value <= 1 for value in data):  # before float(): 10**400 has none
            raise serializers.ValidationError(errors.COMPOSE_BOX_RANGE)
        box = [round(float(value), BOX_DIGITS) for value in data]
        if not all(0.0 <= value <= 1.0 for value in box):
            raise serializers.ValidationError(errors.COMPOSE_BOX_RANGE)
        x0, y0, x1, y1 = box
        if x1 <= x0 or y1 <= y0:
            raise serializers.ValidationError(errors.COMPOSE_BOX_ORDER)
        width, height = round(x1 - x0, BOX_DIGITS), round(y1 - y0, BOX_DIGITS)
        if min(width, height) < BOX_SIDE_MIN:
            raise serializers.ValidationError(errors.COMPOSE_BOX_TOO_SMALL.format(min=BOX_SIDE_MIN))
        if width * height > BOX_AREA_MAX:
            raise serializers.ValidationError(errors.COMPOSE_BOX_TOO_LARGE.format(share=width * height, max=BOX_AREA_MAX))
        return box

    def to_representation(self, value):
        return value


@extend_schema_field({
    "type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "integer", "minimum": 0, "maximum": 255},
    "description": "[r, g, b]; null (the default) lets the model choose.",
})
class ColourField(serializers.Field):
    """[r, g, b], three integers from 0 to 255, or null (the model chooses)."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) != 3 or any(
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255 for value in data
        ):
            raise serializers.ValidationError(errors.COMPOSE_COLOUR_FORMAT)
        return data

    def to_representation(self, value):
        return value


@extend_schema_field({
    "type": "string",
    "description": (
        "One of the object categories of the active compose model (those of its config.json, which the composer "
        "page lists and a 400 for an unknown category names); for a change of one object, of the model that "
        "painted the base artwork."
    ),
})
class CategoryField(serializers.Field):
    """A text; whether the model paints it is checked once the model is known (`validate`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(errors.COMPOSE_CATEGORY_TEXT.format(type=json_type(data)))
        return data

    def to_representation(self, value):
        return value


class ComposeObjectSerializer(StrictSerializer):
    """One object of a scene: what it is, where, its outline and its colour."""

    category = CategoryField()
    box = BoxField()
    shape = serializers.ChoiceField(
        choices=SHAPES, default="mask", help_text="mask: drawn by the model within the box; rect, ellipse: the box's.",
        error_messages={"invalid_choice": errors.COMPOSE_SHAPE_UNKNOWN.format(shapes=", ".join(SHAPES))})
    colour = ColourField(allow_null=True, default=None)


class ComposeObjectsField(serializers.Field):
    """The objects back to front, each canonical: {category, box, shape, colour}. Errors are
    keyed by the object's index."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(errors.COMPOSE_OBJECTS_LIST.format(type=json_type(data)))
        if len(data) > OBJECTS_MAX:
            raise serializers.ValidationError(errors.COMPOSE_TOO_MANY_OBJECTS.format(count=len(data), max=OBJECTS_MAX))
        objects, problems = [], {}
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                problems[str(index)] = [errors.COMPOSE_OBJECT_NOT_OBJECT.format(type=json_type(item))]
                continue
            serializer = ComposeObjectSerializer(data=item)
            if serializer.is_valid():
                objects.append({key: serializer.validated_data[key] for key in ("category", "box", "shape", "colour")})
            else:
                problems[str(index)] = serializer.errors
        if problems:
            raise serializers.ValidationError(problems)
        return objects

    def to_representation(self, value):
        return value


class ComposeObjectsFieldSchema(OpenApiSerializerFieldExtension):
    """An array of at most `OBJECTS_MAX` ComposeObject."""

    target_class = ComposeObjectsField

    def map_serializer_field(self, auto_schema, direction):
        item = auto_schema.resolve_serializer(ComposeObjectSerializer, direction).ref
        return {"type": "array", "maxItems": OBJECTS_MAX, "items": item,
                "description": f"The objects, back to front, at most {OBJECTS_MAX}."}


class ComposeBaseSerializer(StrictSerializer):
    """The composed artwork one object of which changes, and that object's index."""

    artwork = StrictIntegerField(min_value=1, max_value=INT64_MAX, help_text="The id of a visible composed artwork.",
                                 range_message=gallery_errors.ARTWORK_UNKNOWN.format(artwork_id="{value}"))
    object = StrictIntegerField(min_value=0, max_value=OBJECTS_MAX - 1,
                                help_text="The index of one of the base artwork's objects.",
                                range_message=errors.COMPOSE_BASE_OBJECT_RANGE.format(count="its", last=OBJECTS_MAX - 1))

    def validate_artwork(self, value: int) -> int:
        artwork = artwork_get(artwork_id=value)
        if artwork is None:
            raise serializers.ValidationError(gallery_errors.ARTWORK_UNKNOWN.format(artwork_id=value))
        if artwork.kind != Kind.COMPOSE:
            raise serializers.ValidationError(errors.COMPOSE_BASE_NOT_COMPOSED.format(artwork_id=value, kind=artwork.kind))
        version = artwork.model_version
        if not Path(version.folder).is_dir():
            raise serializers.ValidationError(errors.COMPOSE_BASE_MODEL_GONE.format(name=version.name, folder=version.folder))
        return value


class ComposeInputsSerializer(StrictSerializer):
    """{background, objects} for a new scene; {base: {artwork, object}, objects[, background]} to
    change (or, leaving it out of objects, delete) one object of a composed artwork: objects are then
    the base's objects with that one changed or left out, background and seed (when given) the base's."""

    schema_forms = ((("background",), ("objects",)), (("base", "objects"), ("background",)))

    base = ComposeBaseSerializer(required=False)
    background = PlaceInputsSerializer(required=False)
    objects = ComposeObjectsField(required=False, default=list)

    def to_internal_value(self, data):
        # Before anything else: without a model there is nothing to check the categories against.
        if isinstance(data, dict) and "base" not in data and model_version_active(kind=Kind.COMPOSE) is None:
            raise NoActiveModelError(Kind.COMPOSE)
        return super().to_internal_value(data)

    def validate_background(self, value: dict) -> dict:
        return compose_background_canonical(value)

    def validate(self, attrs):
        base = Artwork.objects.select_related("model_version").get(pk=attrs["base"]["artwork"]) if "base" in attrs else None
        version = base.model_version if base else model_version_active(kind=Kind.COMPOSE)
        categories = model_categories(version)
        unknown = {str(index): {"category": [errors.COMPOSE_CATEGORY_UNKNOWN.format(
                       category=item["category"], categories=", ".join(categories))]}
                   for index, item in enumerate(attrs["objects"]) if item["category"] not in categories}
        if unknown:
            raise serializers.ValidationError({"objects": unknown})
        if base is None:
            if "background" not in attrs:
                raise serializers.ValidationError({"background": [errors.COMPOSE_BACKGROUND_REQUIRED]})
            return attrs
        return _checked_change(attrs, base)

    @staticmethod
    def validate_request(attrs: dict) -> dict:
        """A change keeps its base's seed: the steps it keeps were painted with it."""
        if "base" in attrs["inputs"] and "seed" in attrs:
            base_seed = Artwork.objects.get(pk=attrs["inputs"]["base"]["artwork"]).seed
            if attrs["seed"] != base_seed:
                raise serializers.ValidationError({"seed": [errors.COMPOSE_BASE_SEED.format(seed=base_seed)]})
        return attrs


def _checked_change(attrs: dict, base: Artwork) -> dict:
    """The inputs of a change of one object: the base's background, and its objects with object
    k changed or left out."""
    index, before, after = attrs["base"]["object"], base.inputs["objects"], attrs["objects"]
    if index >= len(before):
        raise serializers.ValidationError({"base": {"object": [errors.COMPOSE_BASE_OBJECT_RANGE.format(
            count=len(before), last=len(before) - 1)]}})
    if attrs.setdefault("background", base.inputs["background"]) != base.inputs["background"]:
        raise serializers.ValidationError({"background": [errors.COMPOSE_BASE_BACKGROUND]})
    kept = before[:index] + before[index + 1:]
    if len(after) == len(before):
        if after[:index] + after[index + 1:] != kept:
            raise serializers.ValidationError({"objects": [errors.COMPOSE_BASE_OTHERS_CHANGED.format(index=index)]})
        if after[index] == before[index]:
            raise serializers.ValidationError({"base": {"object": [errors.COMPOSE_BASE_UNCHANGED.format(index=index)]}})
    elif after != kept:
        raise serializers.ValidationError({"objects": [errors.COMPOSE_BASE_OTHERS_CHANGED.format(index=index)]})
    return attrs
