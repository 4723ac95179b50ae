"""Waiting for what another process does (a worker, a server, the browser's requests): one
helper, so every wait polls, times out and explains itself the same way."""
import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.2,
               message: str | Callable[[], str] = "") -> object:
    """Call `predicate` every `interval` seconds until it returns something true, and return that.
    After `timeout` seconds raise TimeoutError with `message` (a callable is called then, so it
    can say what was seen last)."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"after {timeout:g} s: {message() if callable(message) else message}")
        time.sleep(interval)
    return result
