from django.contrib import admin

from gallery.models import Artwork, City, Exhibition, ExhibitionItem


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "country_code", "population", "lat", "lon"]
    search_fields = ["search_name", "name"]
    list_filter = ["country_code"]


@admin.register(Artwork)
class ArtworkAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "city", "seed", "model_version", "created"]
    list_filter = ["kind", "model_version"]
    readonly_fields = [f.name for f in Artwork._meta.fields]


class ExhibitionItemInline(admin.TabularInline):
    model = ExhibitionItem
    fields = ["position", "artwork", "wall_text"]
    raw_id_fields = ["artwork"]
    extra = 0


@admin.register(Exhibition)
class ExhibitionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "published_at", "created_by", "updated"]
    list_filter = [("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "slug"]
    raw_id_fields = ["cover"]
    readonly_fields = ["created_by", "created", "updated"]
    inlines = [ExhibitionItemInline]
