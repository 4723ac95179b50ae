"""Real artworks for the gallery's tests: each painted through the real job path (job_create,
then job_run on this process) by the tiny models of tests/conftest.py."""
from gallery.jobs import services
from gallery.models import Artwork


def artwork_paint(*, seed: int, city=None, lat: float | None = None, lon: float | None = None, parent=None) -> Artwork:
    """Paint one artwork of a city (or of a point) and return it; needs an active place model,
    and a recorded enqueue (the `enqueued` fixture) so that nothing is sent to a broker."""
    inputs = {"city": city.pk} if city is not None else {"lat": lat, "lon": lon}
    return _painted(services.job_create(kind="place", inputs=inputs, seed=seed, parent=parent).job)


def artwork_compose(*, seed: int, background: dict, objects: list[dict]) -> Artwork:
    """Compose one scene (canonical objects: {category, box, shape, colour}) and return it; needs an
    active compose model and a recorded enqueue."""
    inputs = {"background": background, "objects": objects}
    return _painted(services.job_create(kind="compose", inputs=inputs, seed=seed).job)


def _painted(job) -> Artwork:
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job.artwork


def job_pk(public_id: str) -> int:
    """The internal pk of the job the API calls `public_id` (what services and tasks take)."""
    from generation.models import Job

    return Job.objects.values_list("pk", flat=True).get(public_id=public_id)
