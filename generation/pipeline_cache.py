"""The worker-side cache of loaded pipelines, keyed by the sha256 of their weights.

Only worker code paths import this module's loader, which imports torch; the web process
never does. Pipelines are loaded in the process that runs them (never before a fork).
"""
from collections import OrderedDict

from django.conf import settings

from generation.models import ModelVersion

_pipelines: OrderedDict[str, object] = OrderedDict()


class WeightsChangedError(RuntimeError):
    pass


def pipeline_for(model_version: ModelVersion):
    """The loaded pipeline of a model version, loading it on first use."""
    key = model_version.sha256
    if key in _pipelines:
        _pipelines.move_to_end(key)
        return _pipelines[key]
    import torch

    from ml import pipelines

    if settings.GENERATION_TORCH_THREADS:
        torch.set_num_threads(settings.GENERATION_TORCH_THREADS)
    pipeline = pipelines.load(model_version.folder, device=settings.GENERATION_DEVICE)
    if pipeline.kind == "ground":
        from ml.data.overhead_tiles import open_source

        pipeline.overhead = open_source(settings.GROUND_OVERHEAD_TILES)
    if pipeline.sha256 != model_version.sha256:
        raise WeightsChangedError(
            f"The weights in {model_version.folder} changed since they were registered "
            f"(sha256 {pipeline.sha256[:12]}, registered {model_version.sha256[:12]}); register them again."
        )
    _pipelines[key] = pipeline
    while len(_pipelines) > settings.GENERATION_PIPELINE_CACHE_SIZE:
        _pipelines.popitem(last=False)
    return pipeline
