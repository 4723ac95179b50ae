"""The jobs API: ask for a picture, follow its progress, see and cancel one's queue; variations
and exact regenerations of an artwork."""
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.api import BODY_MISSING, BodyError
from gallery.apis import ArtworkLinksMixin, ArtworkSerializer
from gallery.errors import ARTWORK_UNKNOWN
from gallery.jobs import errors, services
from gallery.jobs.inputs import JOB_REQUEST_SCHEMA, JobCreateSerializer, VariationsSerializer
from gallery.selectors import artwork_get, region_artworks
from generation.services import JobNotSentError, JobStateError, NoActiveModelError, job_cancel
from generation.selectors import job_belongs_to, job_get, job_get_public, job_list_for_visitor, job_queue_position


class RegionViewSerializer(ArtworkLinksMixin, serializers.Serializer):
    """One ground view of a region: the artwork and the place it stands."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    upsampled = serializers.SerializerMethodField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    place = serializers.CharField(source="place_label")
    seed = serializers.IntegerField()


class RegionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    geometry = serializers.JSONField()
    area_km2 = serializers.FloatField(allow_null=True)
    land_use = serializers.JSONField()
    created = serializers.DateTimeField()
    artworks = serializers.SerializerMethodField()

    def get_url(self, region) -> str:
        return self.context["request"].build_absolute_uri(region.get_absolute_url())

    @extend_schema_field(RegionViewSerializer(many=True))
    def get_artworks(self, region) -> list:
        return RegionViewSerializer(region_artworks(region=region), many=True, context=self.context).data


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", help_text="Random: the job's URL cannot be guessed.")
    url = serializers.SerializerMethodField()
    kind = serializers.CharField()
    purpose = serializers.CharField()
    inputs = serializers.JSONField(required=False, help_text="Only for the visitor who asked for the job, and staff.")
    seed = serializers.IntegerField()
    status = serializers.CharField()
    position = serializers.SerializerMethodField(help_text="Queued jobs of all visitors ahead of this one; null unless queued.")
    progress = serializers.IntegerField()
    stage = serializers.CharField(help_text="What the worker is doing, in words (\"adding object 2 of 3: tree\"); "
                                            "may be empty.")
    error = serializers.CharField()
    model = serializers.SerializerMethodField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    artwork = ArtworkSerializer(allow_null=True)
    region = RegionSerializer(allow_null=True, help_text="A ground job's region and its views, once painted.")
    verification = serializers.JSONField(allow_null=True, help_text="A regeneration's {identical, sha256_stored, sha256_new}.")
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)

    def get_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(job.get_absolute_url())

    def get_position(self, job) -> int | None:
        return job_queue_position(job=job)

    def get_model(self, job) -> dict:
        return {"name": job.model_version.name, "sha256": job.model_version.sha256}

    def to_representation(self, job):
        body = super().to_representation(job)
        request = self.context["request"]
        if not (request.user.is_staff or _asked_by(request, job)):  # where they clicked, what they typed
            del body["inputs"]
        return body


class JobThrottle(AnonRateThrottle):
    scope = "jobs"


def _session_key(request, *, create: bool) -> str:
    """The visitor's session key; `create` starts a session (and sets its cookie) when there is none."""
    session = request.session
    if session.session_key is None and create:
        session["visitor"] = True  # a session holding data is kept and its cookie sent
        session.save()
    return session.session_key or ""


def _asked_by(request, job) -> bool:
    """Whether this visitor asked for the job: in this session, or as this logged-in user."""
    user_id = request.user.pk if request.user.is_authenticated else None
    return job_belongs_to(job=job, session_key=_session_key(request, create=False), user_id=user_id)


def _asker(request) -> dict:
    user = request.user if request.user.is_authenticated else None
    return {"session_key": _session_key(request, create=True), "user": user}


def _no_active_model(error: NoActiveModelError) -> Response:
    return Response({"kind": [str(error)], "code": "no_active_model"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


def _not_sent(error: JobNotSentError, request) -> Response:
    """503: the broker is down. The job is kept and the recovery loop sends it; its URL is in the body."""
    job = JobSerializer(job_get(job_id=error.job_id), context={"request": request}).data
    return Response({"detail": str(error), "code": "queue_unreachable", "job": job},
                    status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"})


def _jobs(jobs, request) -> list:
    return JobSerializer(jobs, many=True, context={"request": request}).data


NOT_FOUND = OpenApiResponse(description="No such job or artwork.")


class JobCreateApi(APIView):
    throttle_classes = [JobThrottle]

    @extend_schema(
        request=JOB_REQUEST_SCHEMA,
        responses={
            202: JobSerializer,
            200: OpenApiResponse(JobSerializer, description="An identical request is already painted: its job."),
            400: OpenApiResponse(description="A field is invalid: {field: [message]}."),
            503: OpenApiResponse(description="No trained model of that kind is active, or the job queue cannot be "
                                             "reached: the job is kept (its URL under \"job\") and sent later."),
        },
    )
    def post(self, request):
        if not request.data:
            raise BodyError(BODY_MISSING)
        serializer = JobCreateSerializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)  # a compose job's categories need the active model
            results = services.jobs_create(**serializer.validated_data, **_asker(request))
        except NoActiveModelError as error:
            return _no_active_model(error)
        except JobNotSentError as error:
            return _not_sent(error, request)
        body = JobSerializer(results[0].job, context={"request": request}).data
        if len(results) > 1:  # an edit with n > 1: the first job, and all n under "jobs"
            body["jobs"] = _jobs([result.job for result in results], request)
        # Finished pictures come back at once (200); anything still to paint is accepted (202).
        done = all(result.job.status == result.job.Status.DONE for result in results)
        code = status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED
        return Response(body, status=code, headers={"Location": body["url"]})


class JobDetailApi(APIView):
    @extend_schema(responses={200: JobSerializer, 404: NOT_FOUND})
    def get(self, request, job_id: str):
        job = job_get_public(public_id=job_id)
        if job is None:
            return Response({"detail": errors.JOB_UNKNOWN.format(job_id=job_id)}, status=status.HTTP_404_NOT_FOUND)
        return Response(JobSerializer(job, context={"request": request}).data)


class QueueApi(APIView):
    @extend_schema(responses={200: inline_serializer("VisitorQueue", {"jobs": JobSerializer(many=True)})})
    def get(self, request):
        """This visitor's waiting and running jobs with their place in the queue, and those of the last day.

        It starts the visitor's session when there is none, so that the map page has one before its
        first request for a picture."""
        user_id = request.user.pk if request.user.is_authenticated else None
        jobs = job_list_for_visitor(session_key=_session_key(request, create=True), user_id=user_id)
        return Response({"jobs": _jobs(jobs, request)})


class JobCancelApi(APIView):
    @extend_schema(
        request=None,
        responses={
            200: JobSerializer,
            403: OpenApiResponse(description="Another visitor's job."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="The job is no longer queued."),
        },
    )
    def post(self, request, job_id: str):
        job = job_get_public(public_id=job_id)
        if job is None:
            return Response({"detail": errors.JOB_UNKNOWN.format(job_id=job_id)}, status=status.HTTP_404_NOT_FOUND)
        if not _asked_by(request, job):
            return Response({"detail": errors.JOB_NOT_YOURS}, status=status.HTTP_403_FORBIDDEN)
        try:
            job = job_cancel(job_id=job.pk)
        except JobStateError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job, context={"request": request}).data)


class ArtworkVariationsApi(APIView):
    throttle_classes = [JobThrottle]

    @extend_schema(
        request=VariationsSerializer,
        responses={
            202: inline_serializer("VariationJobs", {"jobs": JobSerializer(many=True)}),
            400: OpenApiResponse(description="count is invalid."),
            404: NOT_FOUND,
            503: OpenApiResponse(description="No trained model of that kind is active, or the job queue cannot be "
                                             "reached: the job is kept (its URL under \"job\") and sent later."),
        },
    )
    def post(self, request, artwork_id: int):
        """Paint `count` new pictures from the artwork's inputs with new seeds; they become its children."""
        artwork = artwork_get(artwork_id=artwork_id)
        if artwork is None:
            return Response({"detail": ARTWORK_UNKNOWN.format(artwork_id=artwork_id)}, status=status.HTTP_404_NOT_FOUND)
        serializer = VariationsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            jobs = services.artwork_variations_create(
                artwork=artwork, count=serializer.validated_data["count"], **_asker(request)
            )
        except NoActiveModelError as error:
            return _no_active_model(error)
        except JobNotSentError as error:
            return _not_sent(error, request)
        return Response({"jobs": _jobs(jobs, request)}, status=status.HTTP_202_ACCEPTED)


class ArtworkRegenerateApi(APIView):
    throttle_classes = [JobThrottle]

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer("RegenerationJob", {"job": JobSerializer()}),
            404: NOT_FOUND,
            409: OpenApiResponse(description="The model version that painted it is no longer on disk."),
            503: OpenApiResponse(description="The job queue cannot be reached: the job is kept and sent later."),
        },
    )
    def post(self, request, artwork_id: int):
        """Paint the artwork again exactly (same model version, inputs, seed); the job's
        `verification` says whether the same bytes came back."""
        artwork = artwork_get(artwork_id=artwork_id)
        if artwork is None:
            return Response({"detail": ARTWORK_UNKNOWN.format(artwork_id=artwork_id)}, status=status.HTTP_404_NOT_FOUND)
        try:
            job = services.artwork_regenerate(artwork=artwork, **_asker(request))
        except services.ModelFolderGoneError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except JobNotSentError as error:
            return _not_sent(error, request)
        return Response({"job": JobSerializer(job, context={"request": request}).data}, status=status.HTTP_202_ACCEPTED)
