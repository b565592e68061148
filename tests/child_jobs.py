"""Jobs for tests/test_isolation.py: run in a reading child, which imports them by name."""

import os
import time


def answer(value, *, tick):
    tick(0)
    return value * 2


def hang(*, tick):
    tick(0)
    time.sleep(3600)


def spin(*, tick):
    tick(0)
    while True:
        pass


def abort(*, tick):
    tick(0)
    os.abort()


def swallow_memory(*, tick):
    """Address space taken 64 MiB at a time without touching a page (numpy.empty): the
    memory limit is reached at once, however slow or busy the machine (bytearray zero-fills
    every page, and once spent more than the CPU limit doing so)."""
    import numpy

    tick(0)
    hoard = []
    while True:
        hoard.append(numpy.empty(64 * 1024 * 1024, dtype=numpy.uint8))


def raise_bug(*, tick):
    tick(0)
    raise ValueError("a bug in a reader")


def pid(*, tick):
    return os.getpid()


def slow_items(count, seconds, *, tick):
    for item in range(count):
        tick(item)
        time.sleep(seconds)
    return count


class Unloadable:
    """Pickles in the parent; unpickling it in the child fails."""

    def __reduce__(self):
        return (_refuse, ())


def _refuse():
    raise RuntimeError("cannot be loaded here")
