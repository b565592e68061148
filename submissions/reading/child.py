"""What a reading child runs for a chunk of files (see submissions.reading.isolation)."""

from __future__ import annotations

import hashlib

from submissions.reading.opening import Readahead


def read_chunk(items: list, catalog: bytes, options, *, tick) -> tuple:
    """Run in a reading child (see submissions.reading.isolation): big files start parsing in a
    thread first; the catalog (pickled, so that the thread is started before pydantic is
    imported to unpickle it) and pandas (for a long sheet) are loaded while it runs."""
    readahead = Readahead([path for path, _shown, _district in items], limits=options.limits)
    if readahead.parsing:
        import submissions.codes  # noqa: F401 - pandas, for a long sheet
    # the collecting code (and pydantic with it) is imported only now, while the big files
    # parse in the readahead thread
    from submissions.reading.cells import read_here

    return read_here(items, _catalog(catalog), options, readahead, tick)


_CATALOGS: dict[str, object] = {}


def _catalog(pickled: bytes):
    """A child reads many chunks with the same catalog: unpickled once."""
    import pickle

    key = hashlib.sha256(pickled).hexdigest()
    if key not in _CATALOGS:
        _CATALOGS.clear()
        _CATALOGS[key] = pickle.loads(pickled)
    return _CATALOGS[key]
