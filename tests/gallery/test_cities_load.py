from gallery.models import City
from gallery.services import cities_load


def test_loading_cities_is_idempotent_and_complete(db):
    first = cities_load()
    assert first == City.objects.count() == 34006
    City.objects.filter(pk=2640729).update(name="Somewhere else", population=1)
    assert cities_load() == first
    assert City.objects.count() == first
    oxford = City.objects.get(pk=2640729)
    assert (oxford.name, oxford.search_name, oxford.country_code) == ("Oxford", "oxford", "GB")
    assert oxford.population > 100_000
