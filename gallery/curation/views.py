"""Pages of curation: the curators' dashboard (the pool) and exhibition editor; the public
exhibition pages (list, wall, kiosk) and the catalogue download.

A draft exhibition is a 404 for the public and a preview for curators.
"""
import tempfile

from django.http import FileResponse, Http404
from django.views import View
from django.views.generic import TemplateView

from gallery.curation import errors, selectors
from gallery.curation.catalogue import catalogue_write
from gallery.curation.permissions import CuratorRequiredMixin, is_curator
from gallery.curation.serializers import PoolFilterSerializer
from gallery.filters import PAGE_SIZE, page_of
from gallery.views import ArtworkFiltersMixin

KIOSK_INTERVAL_DEFAULT = 12
KIOSK_INTERVAL_MAX = 3600


class DashboardView(CuratorRequiredMixin, ArtworkFiltersMixin, TemplateView):
    template_name = "gallery/curation/dashboard.html"
    filter_serializer_class = PoolFilterSerializer

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if "filters" in kwargs:
            filters = dict(kwargs["filters"])
            favourites_only, hidden_only = filters.pop("favourites"), filters.pop("hidden")
            pool = selectors.curation_pool(user=user, favourites_only=favourites_only, hidden_only=hidden_only, **filters)
            context["page_obj"] = page_of(pool, number=self.request.GET.get("page"), size=PAGE_SIZE)
        context["drafts"] = selectors.exhibition_drafts_of(user=user)
        context["exhibitions"] = selectors.exhibition_list(include_drafts=True)
        return context


class ExhibitionEditView(CuratorRequiredMixin, TemplateView):
    """Curators' editor: details, cover, items (hidden artworks flagged), order, publishing."""

    template_name = "gallery/curation/exhibition_edit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exhibition = selectors.exhibition_get(slug=kwargs["slug"], include_drafts=True, include_hidden=True)
        if exhibition is None:
            raise Http404(errors.EXHIBITION_UNKNOWN.format(slug=kwargs["slug"]))
        context["exhibition"] = exhibition
        return context


class ExhibitionListView(TemplateView):
    template_name = "gallery/exhibitions/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["exhibitions"] = selectors.exhibition_list()
        return context


class ExhibitionMixin:
    """The exhibition of the URL as this visitor may see it: published, or a curator's preview;
    hidden artworks are left out either way."""

    def get_exhibition(self):
        slug = self.kwargs["slug"]
        exhibition = selectors.exhibition_get(slug=slug, include_drafts=is_curator(self.request.user))
        if exhibition is None:
            raise Http404(errors.EXHIBITION_UNKNOWN.format(slug=slug))
        return exhibition


class ExhibitionPageView(ExhibitionMixin, TemplateView):
    """A page of one exhibition, with its cover."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exhibition = self.get_exhibition()
        context["exhibition"] = exhibition
        context["cover"] = selectors.exhibition_cover(exhibition=exhibition)
        return context


class ExhibitionDetailView(ExhibitionPageView):
    """The wall: the works in order, each with its wall text."""

    template_name = "gallery/exhibitions/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exhibition, cover = context["exhibition"], context["cover"]
        context["page_url"] = self.request.build_absolute_uri(exhibition.get_absolute_url())
        context["image_url"] = self.request.build_absolute_uri(cover.image.url) if cover else ""
        return context


class ExhibitionKioskView(ExhibitionPageView):
    """One work at a time, full screen, advancing every ?interval= seconds."""

    template_name = "gallery/exhibitions/kiosk.html"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("interval", "").strip()
        if raw and not (raw.isdigit() and 1 <= int(raw) <= KIOSK_INTERVAL_MAX):
            context = self.get_context_data(errors={"interval": [errors.INTERVAL_INVALID]}, interval=KIOSK_INTERVAL_DEFAULT)
            return self.render_to_response(context, status=400)
        return self.render_to_response(self.get_context_data(interval=int(raw) if raw else KIOSK_INTERVAL_DEFAULT))


class ExhibitionCatalogueView(ExhibitionMixin, View):
    """The catalogue zip, built in a temporary file and streamed from there."""

    def get(self, request, slug: str):
        exhibition = self.get_exhibition()
        archive = tempfile.TemporaryFile()
        catalogue_write(exhibition=exhibition, file=archive, absolute_url=request.build_absolute_uri)
        archive.seek(0)
        return FileResponse(archive, as_attachment=True, filename=f"{slug}-catalogue.zip", content_type="application/zip")
