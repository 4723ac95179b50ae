"""The admin's model upload: two files, checked by name and size before anything is stored."""
from pathlib import Path

from django import forms
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from generation import errors
from generation.services import ModelRegistrationError, config_kind
from generation.services.registry import CONFIG_MAX_BYTES
from ml.modelfolder import PICKLE_SUFFIXES  # names only: ml.modelfolder reads files without torch


class ModelUploadForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Default: the start of the weights' sha256.")
    config = forms.FileField(label="config.json")
    weights = forms.FileField(label="weights.safetensors")

    def clean_config(self) -> bytes:
        upload = self.cleaned_data["config"]
        if not upload.name.lower().endswith(".json"):
            raise forms.ValidationError(errors.UPLOAD_CONFIG_NOT_JSON.format(name=upload.name))
        if upload.size > CONFIG_MAX_BYTES:
            raise forms.ValidationError(errors.UPLOAD_CONFIG_TOO_LARGE.format(limit_kb=CONFIG_MAX_BYTES // 1024))
        raw = upload.read()
        try:
            config_kind(raw)
        except ModelRegistrationError as error:
            raise forms.ValidationError(str(error)) from None
        return raw

    def clean_weights(self):
        upload = self.cleaned_data["weights"]
        suffix = Path(upload.name).suffix.lower()
        if suffix in PICKLE_SUFFIXES:
            raise forms.ValidationError(errors.UPLOAD_PICKLE.format(name=upload.name))
        if suffix != ".safetensors":
            raise forms.ValidationError(errors.UPLOAD_NOT_SAFETENSORS.format(name=upload.name))
        return upload


class UploadLimitHandler(FileUploadHandler):
    """Stops reading a multipart body once its files pass `limit` bytes, whatever size was declared."""

    def __init__(self, request, *, limit: int):
        super().__init__(request)
        self.limit, self.received, self.exceeded = limit, 0, False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data  # the next handler stores it

    def file_complete(self, file_size):
        return None
