"""The embedded broker (config.broker): messages are written whole, and a file in the queue
that is not a message is dropped and reported, never raised into the worker."""
import logging

import pytest
from kombu import Connection
from kombu.transport import filesystem, virtual

from config.broker import ALIAS, MESSAGE_MALFORMED, transport_options


@pytest.fixture(autouse=True)
def fresh_broker_state(monkeypatch):
    """kombu keeps the exchanges declared in a process; each test's broker folder starts empty."""
    monkeypatch.setattr(filesystem.Transport, "global_state", virtual.BrokerState())


def queue_files(folder):
    return sorted(path.name for path in (folder / "queue").iterdir())


def test_messages_are_renamed_into_place_whole(tmp_path):
    options = transport_options(tmp_path)
    with Connection(f"{ALIAS}://", transport_options=options) as connection:
        queue = connection.SimpleQueue("gpu")
        queue.put({"job": 1})
        (name,) = queue_files(tmp_path)
        assert name.endswith(".gpu.msg") and not name.startswith(".")  # no partial file left behind
        message = queue.get(timeout=1)
        message.ack()
        assert message.payload == {"job": 1}


def test_files_that_are_not_messages_are_dropped_and_the_next_message_is_delivered(tmp_path, caplog):
    options = transport_options(tmp_path)
    queue = tmp_path / "queue"
    # kombu reads a queue in name order and a message's name starts with its time in ms (no leading
    # 0): these names come first, so the message is read only once all four have been met
    (queue / "00_empty.gpu.msg").touch()
    (queue / "01_half-written.gpu.msg").write_bytes(b'{"body": "eyJqb2IiOi')
    (queue / "02_not-utf8.gpu.msg").write_bytes(b"\xff\xfe{}")
    (queue / "03_json-but-no-message.gpu.msg").write_text('{"body": "e30="}')
    with caplog.at_level(logging.WARNING, logger="config.broker"), \
            Connection(f"{ALIAS}://", transport_options=options) as connection:
        messages = connection.SimpleQueue("gpu")
        messages.put({"job": 2})
        message = messages.get(timeout=1)
        message.ack()
        assert message.payload == {"job": 2}
    assert queue_files(tmp_path) == []
    dropped = [record for record in caplog.records if record.msg == MESSAGE_MALFORMED]
    assert [record.args[0] for record in dropped] == ["gpu"] * 4
