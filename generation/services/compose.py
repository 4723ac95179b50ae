"""Painting a composed scene on a worker with its model's `compose` pipeline: the background x0,
then one object at a time (x_t = apply(x_{t-1}, layer_t)), with the job's stage in words
("adding object 2 of 3: tree").

A change of one object (object k, 0-based) is the pipeline's `repaint` of the base's stored
steps and layers: x0..xk are kept as they are, only that object's layer is painted again on xk
(or none, when it is deleted) and the base's later layers are applied again unchanged. Since
`apply` keeps the canvas byte-exact where a layer's alpha is 0, no pixel outside the changed
object's old and new masks can move.
"""
from dataclasses import dataclass

from generation.models import Job
from generation.services.jobs import ProgressWriter

BACKGROUND_STAGE = "painting the background"
OBJECT_STAGE = "adding object {number} of {count}: {category}"
REPAINT_STAGE = "painting object {number} of {count} again: {category}"
DELETE_STAGE = "taking object {number} away"


@dataclass
class Composition:
    steps: list  # PIL RGB canvases x0..xT
    layers: list  # PIL RGBA layers, one per object: alpha 0 outside the object


def job_compose(*, job: Job, base: Composition | None = None, changed: int | None = None) -> Composition:
    """Paint the job's scene with its model version and seed. Given `base` (the stored steps and
    layers of the base artwork) and `changed`, the index of the object that differs from the base
    (left out of the job's objects when it is deleted), only that object is painted again."""
    from generation.pipeline_cache import pipeline_for

    pipeline = pipeline_for(job.model_version)
    objects, seed, count = job.inputs["objects"], job.seed, len(job.inputs["objects"])
    progress = ProgressWriter([job.pk], start=10, end=90, interval=0.0)
    if base is not None:
        deleted = count < len(base.layers)
        stage = DELETE_STAGE if deleted else REPAINT_STAGE
        progress(0.5, stage=stage.format(number=changed + 1, count=count, category=None if deleted else
                                         objects[changed]["category"]))
        steps, layers = pipeline.repaint(base.steps, base.layers, changed, None if deleted else objects[changed], seed)
        return Composition(steps=steps, layers=layers)

    def report(fraction: float) -> None:
        """The pipeline reports (t + 1) / (count + 1) once x_t is painted: object t + 1 comes next."""
        painted = round(fraction * (count + 1)) - 1
        if painted < count:
            progress(fraction, stage=OBJECT_STAGE.format(number=painted + 1, count=count,
                                                         category=objects[painted]["category"]))

    progress(0.0, stage=BACKGROUND_STAGE)
    place = {"lat": job.inputs["background"]["lat"], "lon": job.inputs["background"]["lon"]}
    steps, layers = pipeline.compose_layers(place, objects, seed, progress=report)
    return Composition(steps=steps, layers=layers)
