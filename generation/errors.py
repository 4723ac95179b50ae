"""User-facing messages of the generation app (regions, jobs, the model registry); tests assert
against these constants. Those of the jobs API are in `gallery.jobs.errors`."""

# The ground generator: a drawn region (GeoJSON Polygon geometry) or a point.
REGION_MALFORMED = "The region is not a GeoJSON Polygon geometry: {reason}."
REGION_TOO_MANY_VERTICES = "The region has {count} vertices; at most {max} are allowed."
REGION_COORDINATES_RANGE = "The region has a position out of range ({lon}, {lat}): longitude must be between -180 and 180, latitude between -90 and 90."
REGION_TOO_FEW_VERTICES = "The region needs at least 3 distinct vertices."
REGION_INVALID = "The region is not a valid polygon ({reason}); its edges must not cross each other."
REGION_TOO_LARGE = "The region covers {area:,.0f} km², more than the {max:,.0f} km² allowed; draw a smaller one."
REGION_TOO_SMALL = "The region covers {area:.4f} km², less than the {min:g} km² needed; draw a larger one or drop a point."
REGION_OVER_SEA = "The region lies entirely over the sea: there is no ground down there to paint. Draw it over land."
POINT_OVER_SEA = "The point lies over the sea: there is no ground down there to paint. Drop it on land."
# Jobs: painting, cancelling, retrying.
NO_ACTIVE_MODEL = "No trained {kind} model is active yet, so no picture can be painted. An admin can register and activate one."
JOB_TIMED_OUT = "The job took longer than its time limit and was stopped."
JOB_FAILED = "Generation failed: {error}"
JOB_NOT_CANCELLABLE = "Only a queued job can be cancelled; this one is {status}."
JOB_NOT_CANCELLABLE_BY_STAFF = (
    "Only a queued job, or a running one whose worker stopped answering, can be cancelled; this one is {status}."
)
JOB_NOT_RETRYABLE = "Only a failed job, or a running one whose worker stopped answering, can be retried; this one is {status}."
# The broker and the recovery of lost jobs.
QUEUE_UNREACHABLE = "The job queue cannot be reached ({error})."
JOB_NOT_SENT = (
    "The job queue cannot be reached just now. Job {job_id} is kept and will be sent to the painters "
    "as soon as the queue is back; follow it at its URL."
)
JOB_ABANDONED = "The worker running this job stopped answering {attempts} times; it was given up."
JOB_NEVER_TAKEN = "The job was sent to the queue {sends} times and no worker took it; it was given up."

# The model registry: uploads, validation, activation, rollback, deletion.
UPLOAD_TOO_LARGE = "The upload is larger than the limit of {limit_mb} MB; nothing was stored."
UPLOAD_PICKLE = "{name} is a pickle checkpoint, which this site never opens; upload weights.safetensors (tensors only)."
UPLOAD_NOT_SAFETENSORS = "{name} is not a .safetensors file; upload weights.safetensors."
UPLOAD_CONFIG_NOT_JSON = "{name} is not a .json file; upload config.json."
UPLOAD_CONFIG_TOO_LARGE = "config.json is larger than {limit_kb} KB."
UPLOAD_CONFIG_INVALID = "config.json is not a JSON object: {error}"
UPLOAD_CONFIG_KIND = "config.json has kind {kind!r}; known kinds: {kinds}."
UPLOAD_ALREADY_REGISTERED = "These weights are already registered as {version}."
VALIDATION_FAILED = "The model cannot be used: {error}"
VALIDATION_TIMED_OUT = "Validating the model took longer than its time limit."
VALIDATION_NO_SAMPLES = "There are no sample inputs for {kind} models yet, so no sample grid can be painted."
VALIDATION_WRONG_KIND = "config.json now says kind {actual!r}, but the version was registered as {expected!r}."
ACTIVATE_NOT_VALIDATED = "Cannot activate {version}: its validation is {status}{detail}."
ROLLBACK_NOTHING = "No earlier {kind} version was ever active, so there is nothing to roll back to."
DELETE_HAS_ARTWORKS = "Cannot delete {version}: it made {count} artwork(s), whose provenance names it. Activate another version instead."
DELETE_ACTIVE = "Cannot delete {version}: it is the active {kind} model; activate another version first."
DELETE_HAS_PENDING_JOBS = "Cannot delete {version}: {count} of its jobs are waiting or running; wait for them or cancel them first."
