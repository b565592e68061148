"""The one folding of text before it is compared: width (NFKC), no spaces anywhere."""

from __future__ import annotations

import unicodedata


def fold_text(text: object) -> str:
    """“ 约 束 性 ”, “约束性”, full-width “ＡＢＣ１” → the same key: NFKC, whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())
