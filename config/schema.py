"""The API's OpenAPI schema generator (apart from config.api, which the REST framework's settings
name and drf-spectacular's generator imports through them)."""
from drf_spectacular import openapi
from drf_spectacular.utils import PolymorphicProxySerializer


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, except that a request of several variants (a job, one per kind) has a
    required body when every variant requires a field: drf-spectacular leaves such a body optional,
    so a client generated from the schema could send none and get a 400."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if isinstance(serializer, PolymorphicProxySerializer):
            variants = serializer.serializers
            variants = variants.values() if isinstance(variants, dict) else variants
            required = all(self.resolve_serializer(variant, direction).schema.get("required") for variant in variants)
        return schema, required
