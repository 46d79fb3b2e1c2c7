"""The threads that run the host's calls."""

import collections
import contextlib
import threading

_LINGER = 2.0  # seconds an idle worker waits for work before it ends
_tls = threading.local()  # .pool: the pool of a worker thread


class Pool:
    """Runs tasks on at most size threads at once, started on demand.

    A worker that waits for the host's answer to a call it made (a served
    function calling the host, which may call the plugin back before it
    answers) does not count against size while it waits (waiting_on_peer):
    otherwise size nested calls would leave no thread to run the calls that
    they wait for, and both ends would wait for ever.
    """

    def __init__(self, size, name="hostcall-served"):
        self.size = max(int(size), 1)
        self._name = name
        self._cv = threading.Condition()
        self._tasks = collections.deque()
        self._threads = 0  # live workers
        self._idle = 0  # workers waiting for a task
        self._blocked = 0  # workers waiting for the peer inside a task
        self._closed = False

    def submit(self, task):
        """Queues task (a function of no arguments). Never blocks."""
        with self._cv:
            self._tasks.append(task)
            self._grow_locked()

    def _grow_locked(self):
        """Wakes an idle worker, or starts one when the queued tasks outnumber
        the idle workers and there is room."""
        if len(self._tasks) <= self._idle:
            self._cv.notify()
            return
        if self._threads - self._blocked < self.size and not self._closed:
            self._threads += 1
            threading.Thread(target=self._work, name=self._name, daemon=True).start()

    def _work(self):
        _tls.pool = self
        while True:
            with self._cv:
                task = self._next_locked()
                if task is None:
                    self._threads -= 1  # in the same hold as the decision: see _next_locked
                    if self._tasks:
                        self._cv.notify()
                    return
            try:
                task()
            except BaseException:  # noqa: B902 - tasks report their own failures; the worker goes on
                pass

    def _next_locked(self):
        """The next task, or None when the worker ends: idle for a while,
        the pool closed, or one worker too many since a blocked one came
        back (the count drops before the lock is let go, so that two workers
        never both leave for the same excess)."""
        while True:
            if self._threads - self._blocked > self.size:
                return None
            if self._tasks:
                return self._tasks.popleft()
            if self._closed:
                return None
            self._idle += 1
            notified = self._cv.wait(_LINGER)
            self._idle -= 1
            if not notified and not self._tasks:
                return None

    def _block(self):
        with self._cv:
            self._blocked += 1
            if self._tasks:
                self._grow_locked()

    def _unblock(self):
        with self._cv:
            self._blocked -= 1

    def close(self):
        """Lets idle workers end; running tasks finish on their own."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()


@contextlib.contextmanager
def waiting_on_peer():
    """Marks the current thread, when it is a pool's worker, as waiting for
    the peer for the duration of the with block."""
    pool = getattr(_tls, "pool", None)
    if pool is None:
        yield
        return
    pool._block()
    try:
        yield
    finally:
        pool._unblock()
