"""The embedded Celery broker: kombu's filesystem transport, made safe, as `atomicfs://`.

kombu's filesystem transport writes a message straight into its final file name, so a reader
may find it half written, and one file that is not a message (empty, truncated, garbled)
raises out of the worker's consumer and stops the worker for good. Here a message is written
under a name no reader looks for, then renamed into place, so a reader sees all of it or
nothing; and a file that is still not a message when read is dropped and logged, and the next
one is read. Everything else (folders, polling, file names) is kombu's.

A message is not synced to disk before the rename: the database is the source of truth
(`generation.services.recovery`), so a message that a power cut loses, or leaves empty, is sent
again by the recovery loop, and an fsync on every POST would buy nothing but latency.
"""
import logging
import os
import uuid
from pathlib import Path

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)

ALIAS = "atomicfs"
MESSAGE_MALFORMED = "Dropped a file of queue %r that is not a message (%s)."
SUBFOLDERS = ("queue", "processed", "control")


def transport_options(folder: Path) -> dict:
    """The transport's options for a broker kept in `folder` (created here)."""
    for name in SUBFOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
        "polling_interval": 0.2,  # click-to-picture latency
    }


def _malformed(payload) -> str | None:
    """Why a decoded payload cannot be delivered (kombu's virtual Message needs these), or None."""
    if not isinstance(payload, dict) or "body" not in payload:
        return "no body"
    properties = payload.get("properties")
    if not isinstance(properties, dict) or not isinstance(properties.get("delivery_info"), dict):
        return "no delivery properties"
    if "delivery_tag" not in properties:
        return "no delivery tag"
    return None


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Write the message beside its final name, then rename it there in one step."""
        final = Path(self.data_folder_out) / f"{int(filesystem.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        partial = final.with_name(f".{final.name}.part")  # kombu reads only names of the form *.<queue>.msg
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise filesystem.ChannelError(f"Cannot add file {str(final)!r} to directory") from exc

    def _get(self, queue):
        """The next message of `queue`; files that are not messages are dropped on the way
        (kombu has already taken each one out of the queue folder when it reads it)."""
        while True:
            try:
                payload = super()._get(queue)
            except ValueError as error:  # not JSON, or not UTF-8
                logger.warning(MESSAGE_MALFORMED, queue, error)
                continue
            if reason := _malformed(payload):
                logger.warning(MESSAGE_MALFORMED, queue, reason)
                continue
            return payload


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
