"""What a `compose` job becomes: an artwork (the last step, the scene) with every step and layer
stored beside it (`ComposeStep`), and its layer list in the PNG's provenance. A change of one
object starts from the stored steps and layers of its base artwork."""
import hashlib
import io

from django.conf import settings
from django.db import transaction
from PIL import Image

from gallery.models import Artwork
from gallery.selectors import artwork_find, city_of_place, compose_steps
from gallery.services import artwork_create, compose_steps_create, png_bytes
from generation.models import Job
from generation.services import Composition, job_compose, job_upsample


def composition_load(*, artwork: Artwork) -> Composition:
    """A composed artwork's stored steps and layers, as pictures."""
    steps, layers = [], []
    for row in compose_steps(artwork=artwork):
        steps.append(_picture(row.image, "RGB"))
        if row.index:
            layers.append(_picture(row.layer, "RGBA"))
    return Composition(steps=steps, layers=layers)


def _picture(field, mode: str) -> Image.Image:
    with field.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert(mode)


def composition_paint(*, job: Job) -> Composition:
    """The job's steps and layers: painted whole, or for a change of one object, from its base's."""
    if "base" not in job.inputs:
        return job_compose(job=job)
    base = Artwork.objects.get(pk=job.inputs["base"]["artwork"])
    return job_compose(job=job, base=composition_load(artwork=base), changed=job.inputs["base"]["object"])


def composition_generate(*, job: Job) -> Artwork:
    """Paint the job's scene and store it: the artwork and its steps are written together, so a
    job delivered twice finds both and paints nothing again."""
    if artwork := artwork_find(request_key=job.request_key):
        return artwork
    composition = composition_paint(job=job)
    scene = composition.steps[-1]
    (upsampled,) = job_upsample(job=job, pictures=[scene]) or [None]
    steps = [png_bytes(step) for step in composition.steps]
    layers = [png_bytes(layer) for layer in composition.layers]
    objects = job.inputs["objects"]
    provenance = {"layers": [{"step": index + 1, **item, "layer_sha256": hashlib.sha256(layer).hexdigest()}
                             for index, (item, layer) in enumerate(zip(objects, layers))]}
    background = job.inputs["background"]
    with transaction.atomic():
        artwork = artwork_create(
            kind=job.kind, image=scene, inputs=job.inputs, seed=job.seed, model_version=job.model_version,
            request_key=job.request_key, city=city_of_place(place=background), lat=background["lat"],
            lon=background["lon"], parent=job.parent, thumbnail_size=settings.GENERATION_THUMBNAIL_SIZE,
            upsampled=upsampled, upsampler=job.upsampler, provenance_extra=provenance,
        )
        compose_steps_create(artwork=artwork, steps=steps, layers=layers, objects=objects)
    return artwork
