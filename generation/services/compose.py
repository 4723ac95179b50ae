"""Painting a composed scene on a worker: the background x0, then one object at a time, each
step x_t = apply(x_{t-1}, layer_t), with the job's stage in words ("adding object 2 of 3: tree").

A change of one object (object k, 0-based) keeps the base's steps x0..xk as they are, paints
only that object's layer again on xk (or none, when it is deleted) and applies the base's later
layers unchanged: since `apply` keeps the canvas byte-exact where a layer's alpha is 0, no pixel
outside the changed object's old and new masks can move.
"""
from dataclasses import dataclass

from generation.models import Job
from generation.services.jobs import ProgressWriter

BACKGROUND_STAGE = "painting the background"
OBJECT_STAGE = "adding object {number} of {count}: {category}"


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
    objects, seed = job.inputs["objects"], job.seed
    place = {"lat": job.inputs["background"]["lat"], "lon": job.inputs["background"]["lon"]}
    progress = ProgressWriter(job.pk, start=10, end=90, interval=0.0)
    if base is None:
        progress(0.0, stage=BACKGROUND_STAGE)
        steps, layers, first = [pipeline.background(place, seed)], [], 0
    else:
        steps, layers, first = base.steps[:changed + 1], base.layers[:changed], changed
    deleted = int(base is not None and len(objects) < len(base.layers))
    for index in range(first, len(objects)):
        item = objects[index]
        progress((index + 1) / (len(objects) + 1),
                 stage=OBJECT_STAGE.format(number=index + 1, count=len(objects), category=item["category"]))
        if base is None or (index == changed and not deleted):
            layer = pipeline.layer(steps[-1], item, seed, index + 1)
        else:
            layer = base.layers[index + deleted]  # painted before; applied again unchanged
        layers.append(layer)
        steps.append(pipeline.apply(steps[-1], layer))
    progress(1.0, stage="")
    return Composition(steps=steps, layers=layers)
