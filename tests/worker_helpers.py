"""Running `flask jobs worker` as a real process in tests: stop it and wait for what it does."""

from __future__ import annotations

import signal
import subprocess
import time


def stop(process: subprocess.Popen) -> str:
    """Stop the worker as Ctrl-C would and return what it printed."""
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def wait_for(condition, timeout: float = 30) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
