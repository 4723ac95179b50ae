"""The exhibitions API (public read of published exhibitions; curators write) and the curators'
moderation and favourites endpoints."""
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery.curation import errors, selectors, services
from gallery.curation.permissions import IsCurator, IsCuratorOrReadOnly, is_curator
from gallery.curation.serializers import (
    ExhibitionSerializer, ExhibitionSummarySerializer, ExhibitionWriteSerializer, ItemAddSerializer,
    ItemUpdateSerializer, OrderSerializer,
)
from gallery.errors import ARTWORK_UNKNOWN
from gallery.models import Exhibition
from gallery.selectors import artwork_get

BAD_INPUT = OpenApiResponse(description="A field is invalid: {name: [message]}; nothing was changed.")
FORBIDDEN = OpenApiResponse(description="Not logged in as a curator.")
NOT_FOUND = OpenApiResponse(description="No such exhibition (drafts are found by curators only), item or artwork.")


class CurationApi(APIView):
    """Curators write, anyone reads; a service's refusal is a 400 naming its field."""

    permission_classes = [IsCuratorOrReadOnly]

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = ValidationError(exc.message_dict)
        return super().handle_exception(exc)

    def exhibition(self, slug: str) -> Exhibition:
        curator = is_curator(self.request.user)
        exhibition = selectors.exhibition_get(slug=slug, include_drafts=curator, include_hidden=curator)
        if exhibition is None:
            raise NotFound(errors.EXHIBITION_UNKNOWN.format(slug=slug))
        return exhibition

    def exhibition_response(self, slug: str, status_code: int = status.HTTP_200_OK) -> Response:
        """The exhibition as it is now, read again after a write."""
        data = ExhibitionSerializer(self.exhibition(slug), context={"request": self.request}).data
        return Response(data, status=status_code)


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ExhibitionListApi(CurationApi):
    @extend_schema(responses={200: ExhibitionSummarySerializer(many=True)})
    def get(self, request):
        """Published exhibitions, most recently published first; curators also see drafts."""
        exhibitions = selectors.exhibition_list(include_drafts=is_curator(request.user))
        return Response(ExhibitionSummarySerializer(exhibitions, many=True, context={"request": request}).data)

    @extend_schema(request=ExhibitionWriteSerializer, responses={201: ExhibitionSerializer, 400: BAD_INPUT, 403: FORBIDDEN})
    def post(self, request):
        """Create a draft exhibition (title, slug, statement)."""
        exhibition = services.exhibition_create(user=request.user, **_valid(ExhibitionWriteSerializer, request))
        response = self.exhibition_response(exhibition.slug, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response


class ExhibitionDetailApi(CurationApi):
    @extend_schema(responses={200: ExhibitionSerializer, 404: NOT_FOUND})
    def get(self, request, slug: str):
        """An exhibition with its items in order; hidden artworks are left out for the public."""
        return self.exhibition_response(slug)

    @extend_schema(request=ExhibitionWriteSerializer, responses={200: ExhibitionSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND})
    def patch(self, request, slug: str):
        """Change the title, slug, statement or cover."""
        exhibition = self.exhibition(slug)
        exhibition = services.exhibition_update(exhibition=exhibition, **_valid(ExhibitionWriteSerializer, request, partial=True))
        return self.exhibition_response(exhibition.slug)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request, slug: str):
        services.exhibition_delete(exhibition=self.exhibition(slug))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExhibitionItemsApi(CurationApi):
    @extend_schema(request=ItemAddSerializer, responses={201: ExhibitionSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, slug: str):
        """Hang an artwork at the end of the exhibition, with its wall text."""
        exhibition = self.exhibition(slug)
        services.exhibition_item_add(exhibition=exhibition, **_valid(ItemAddSerializer, request))
        return self.exhibition_response(slug, status.HTTP_201_CREATED)


class ExhibitionItemApi(CurationApi):
    permission_classes = [IsCurator]

    def item(self, slug: str, item_id: int):
        item = selectors.exhibition_item_get(exhibition=self.exhibition(slug), item_id=item_id)
        if item is None:
            raise NotFound(errors.ITEM_UNKNOWN.format(item_id=item_id, slug=slug))
        return item

    @extend_schema(request=ItemUpdateSerializer, responses={200: ExhibitionSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND})
    def patch(self, request, slug: str, item_id: int):
        """Change an item's wall text."""
        item = self.item(slug, item_id)
        services.exhibition_item_update(item=item, **_valid(ItemUpdateSerializer, request))
        return self.exhibition_response(slug)

    @extend_schema(responses={200: ExhibitionSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request, slug: str, item_id: int):
        """Take an item down (the artwork stays in the gallery)."""
        services.exhibition_item_remove(item=self.item(slug, item_id))
        return self.exhibition_response(slug)


class ExhibitionOrderApi(CurationApi):
    permission_classes = [IsCurator]

    @extend_schema(request=OrderSerializer, responses={200: ExhibitionSerializer, 400: BAD_INPUT, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, slug: str):
        """Reorder: every item id of this exhibition, once each, in the new order."""
        services.exhibition_reorder(exhibition=self.exhibition(slug), item_ids=_valid(OrderSerializer, request)["items"])
        return self.exhibition_response(slug)


class ExhibitionPublishApi(CurationApi):
    permission_classes = [IsCurator]
    publish = True

    @extend_schema(request=None, responses={200: ExhibitionSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, slug: str):
        """Publish (or, at .../unpublish/, withdraw) the exhibition."""
        change = services.exhibition_publish if self.publish else services.exhibition_unpublish
        change(exhibition=self.exhibition(slug))
        return self.exhibition_response(slug)


class ModerationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hidden = serializers.BooleanField()
    hidden_changed_by = serializers.CharField(source="hidden_changed_by.get_username", allow_null=True)
    hidden_changed_at = serializers.DateTimeField(allow_null=True)


FAVOURITE = inline_serializer("Favourite", {"id": serializers.IntegerField(), "favourite": serializers.BooleanField()})


def _artwork(artwork_id: int):
    artwork = artwork_get(artwork_id=artwork_id, include_hidden=True)
    if artwork is None:
        raise NotFound(ARTWORK_UNKNOWN.format(artwork_id=artwork_id))
    return artwork


class ArtworkHideApi(CurationApi):
    permission_classes = [IsCurator]

    @extend_schema(request=None, responses={200: ModerationSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, artwork_id: int):
        """Hide an artwork from every public list, page and exhibition (it is kept; who and when are recorded)."""
        return Response(ModerationSerializer(services.artwork_hide(artwork=_artwork(artwork_id), user=request.user)).data)

    @extend_schema(responses={200: ModerationSerializer, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request, artwork_id: int):
        """Show a hidden artwork again."""
        return Response(ModerationSerializer(services.artwork_unhide(artwork=_artwork(artwork_id), user=request.user)).data)


class ArtworkFavouriteApi(CurationApi):
    permission_classes = [IsCurator]

    @extend_schema(request=None, responses={200: FAVOURITE, 403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, artwork_id: int):
        """Mark an artwork as one of this curator's favourites."""
        services.favourite_add(artwork=_artwork(artwork_id), user=request.user)
        return Response({"id": artwork_id, "favourite": True})

    @extend_schema(responses={200: FAVOURITE, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request, artwork_id: int):
        services.favourite_remove(artwork=_artwork(artwork_id), user=request.user)
        return Response({"id": artwork_id, "favourite": False})
