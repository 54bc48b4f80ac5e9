"""One thread per process that does a piece of work whenever asked, at a lower CPU priority
than answering: requests while it works are folded into one more round."""

from __future__ import annotations

import contextlib
import os
import threading

NICENESS = 10


class BackgroundThread:
    name = "background"

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def work(self) -> bool:
        """One round; False stops the thread until the next request."""
        raise NotImplementedError

    def request(self) -> None:
        self._wanted.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the work in progress."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    def _run(self) -> None:
        # Linux nices a thread by its id; threads it starts (a model's) inherit it.
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
        while self._wanted.is_set() and not self._stop.is_set():
            self._wanted.clear()
            if not self.work():
                return
