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
    tick(0)
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


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
