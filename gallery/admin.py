from django.contrib import admin

from gallery.models import Artwork, City


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
