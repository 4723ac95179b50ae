"""The jobs API: ask for a picture, follow its progress."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from config.api import BODY_MISSING, BodyError
from gallery.apis import ArtworkSerializer
from generation import services
from generation.inputs import JobCreateSerializer
from generation.selectors import job_get


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    kind = serializers.CharField()
    inputs = serializers.JSONField()
    seed = serializers.IntegerField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    error = serializers.CharField()
    model = serializers.SerializerMethodField()
    artwork = ArtworkSerializer(allow_null=True)
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)

    def get_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(job.get_absolute_url())

    def get_model(self, job) -> dict:
        return {"name": job.model_version.name, "sha256": job.model_version.sha256}


class JobThrottle(AnonRateThrottle):
    scope = "jobs"


class JobCreateApi(APIView):
    throttle_classes = [JobThrottle]

    @extend_schema(
        request=JobCreateSerializer,
        responses={
            202: JobSerializer,
            200: OpenApiResponse(JobSerializer, description="An identical request is already painted: its job."),
            400: OpenApiResponse(description="A field is invalid: {field: [message]}."),
            503: OpenApiResponse(description="No trained model of that kind is active."),
        },
    )
    def post(self, request):
        if not request.data:
            raise BodyError(BODY_MISSING)
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            result = services.job_create(**serializer.validated_data)
        except services.NoActiveModelError as error:
            return Response({"kind": [str(error)], "code": "no_active_model"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        body = JobSerializer(result.job, context={"request": request}).data
        # A finished picture comes back at once (200); anything still to paint is accepted (202).
        code = status.HTTP_200_OK if result.job.status == result.job.Status.DONE else status.HTTP_202_ACCEPTED
        return Response(body, status=code, headers={"Location": body["url"]})


class JobDetailApi(APIView):
    @extend_schema(responses={200: JobSerializer, 404: OpenApiResponse(description="No such job.")})
    def get(self, request, job_id: int):
        job = job_get(job_id=job_id)
        if job is None:
            return Response({"detail": f"No job has the id {job_id}."}, status=status.HTTP_404_NOT_FOUND)
        return Response(JobSerializer(job, context={"request": request}).data)
