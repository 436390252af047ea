"""The inventory's columns, in both directions: the headers an export writes (in the
caller's language) and the headers a parts list may use when it is loaded back.

One table, so that an exported parts sheet uploaded unchanged is read column for column:
its "Units" / "Adet" column is the quantity, "Minimum" / "Asgari" the minimum, and the
columns only an export has (available, used, printed ...) are read-only and ignored on the
way in. Headers match whatever their case, spacing, underscores, and with or without the
Turkish letters (a sheet typed on a keyboard without them says "Parca kodu").
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

# Upload columns: required ones, then optional ones.
PART_CODE, PART_NAME, QUANTITY, MIN_UNITS = "part_code", "part_name", "quantity", "min_units"
REQUIRED = (PART_CODE, PART_NAME, QUANTITY)
OPTIONAL = (MIN_UNITS,)
READ_ONLY = "read_only"  # a column an export writes and an upload ignores


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    tr: str
    # What an upload reads it as: an upload column, READ_ONLY, or None (not in uploads).
    upload_as: str | None

    def header(self, language: str) -> str:
        return self.tr if language == "tr" else self.en


PARTS_COLUMNS = (
    Column("part_code", "Part code", "Parça kodu", PART_CODE),
    Column("part_name", "Part name", "Parça adı", PART_NAME),
    Column("units", "Units", "Adet", QUANTITY),
    Column("available", "Available", "Mevcut", READ_ONLY),
    Column("used", "Used", "Kullanılan", READ_ONLY),
    Column("printed", "Printed", "Basılan", READ_ONLY),
    Column("downloaded", "Downloaded", "İndirilen", READ_ONLY),
    Column("min_units", "Minimum", "Asgari", MIN_UNITS),
    Column("last_counted", "Last counted", "Son sayım", READ_ONLY),
)

UNITS_COLUMNS = (
    Column("qr_id", "QR id", "QR kimliği", None),
    Column("part_code", "Part code", "Parça kodu", None),
    Column("part_name", "Part name", "Parça adı", None),
    Column("printed", "Printed", "Basıldı", None),
    Column("downloaded", "Downloaded", "İndirildi", None),
    Column("used", "Used", "Kullanıldı", None),
    Column("last_counted", "Last counted", "Son sayım", None),
)

# Other names people give the upload columns (the original list's own names first).
_ALIASES = {
    PART_CODE: ("part_code", "code", "kod", "parca kodu", "parça kodu"),
    PART_NAME: ("part_name", "name", "ad", "adi", "parca adi", "parça adı"),
    QUANTITY: ("quantity", "units", "adet", "miktar"),
    MIN_UNITS: ("min_units", "minimum", "min", "asgari", "asgari adet", "en az"),
}


def header_key(text: str) -> str:
    """A header as compared: case, accents, dotted/dotless i, "_" and spacing folded (the
    dotless ı has no decomposition, so it is folded by hand; İ decomposes to i + dot)."""
    text = text.replace("ı", "i").casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("_", " ").replace("-", " ").split())


@functools.cache
def _upload_headers() -> dict[str, str]:
    known: dict[str, str] = {}
    for column in PARTS_COLUMNS:
        if column.upload_as is not None:
            for name in (column.key, column.en, column.tr):
                known[header_key(name)] = column.upload_as
    for key, aliases in _ALIASES.items():
        for alias in aliases:
            known[header_key(alias)] = key
    return known


def upload_column(header: str) -> str | None:
    """The upload column a header names (or READ_ONLY), None when it names none."""
    return _upload_headers().get(header_key(header))
