"""The one folding of text before it is compared: width (NFKC), no spaces anywhere."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def fold_text(text: object) -> str:
    """“ 约 束 性 ”, “约束性”, full-width “ＡＢＣ１” → the same key: NFKC, whitespace removed."""
    text = text if type(text) is str else str(text)
    if len(text) <= CACHED_LENGTH:  # the headers and names of every file repeat
        return _folded(text)
    return _fold(text)


# Only short texts are kept folded: 65,536 of them at most, so a few MB whatever a file holds.
CACHED_LENGTH = 64


@lru_cache(maxsize=1 << 16)  # thread-safe
def _folded(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())
