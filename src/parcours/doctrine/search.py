"""French full-text search over practice sheets, on PostgreSQL and on SQLite.

Both databases see the same words: lower case, accents removed, then the Snowball French stemmer
("violences" → "violenc", "médiation" and "mediation" → "mediat"). So "violence" finds "violences",
"reunion" finds "Réunion", "mediation familiale" finds "médiation familiale".

- PostgreSQL: the text search configuration `parcours_french` (a copy of `french` whose words go
  through `unaccent` then `french_stem`), and a GIN index on
  `to_tsvector('parcours_french'::regconfig, search_document)` (migration 0002); queries use that same
  expression, so the index answers them.
- SQLite: the FTS5 table `doctrine_practice_fts` (rowid = practice id) holds two columns, `stems`
  (the stemmed words, written by `index_practice`) and `words` (the unaccented words). Without the
  `snowballstemmer` package (a small pure-Python library), the search degrades to prefix matching on
  `words`: "violence" still finds "violences" (prefix), "familial" no longer finds "familiaux".

Highlighted extracts are cut in Python on both databases, from the same normalised words.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from django.db import connection

WORD = re.compile(r"\w+", re.UNICODE)
FTS_TABLE = "doctrine_practice_fts"
PG_CONFIG = "parcours_french"
MARK_OPEN, MARK_CLOSE = "\x02", "\x03"


@functools.cache
def _snowball():
    try:
        import snowballstemmer
    except ImportError:  # documented degradation: prefix matching on unaccented words
        return None
    return snowballstemmer.stemmer("french")


# Tests replace this to check the degradation; None means "look for snowballstemmer".
STEMMER_OVERRIDE: object = None


def stemmer():
    if STEMMER_OVERRIDE is False:
        return None
    return _snowball()


def unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")
    )


def words(text: str) -> list[str]:
    return WORD.findall(unaccent(text.lower()))


def stems(text: str) -> list[str]:
    found = words(text)
    s = stemmer()
    return s.stemWords(found) if s is not None else found


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- index (SQLite; PostgreSQL indexes the column itself) ----------------------------------------


def index_practice(practice_id: int, document: str) -> None:
    if is_postgres():
        return
    stemmed = " ".join(stems(document))
    plain = " ".join(words(document))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [practice_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, stems, words) VALUES (%s, %s, %s)",  # noqa: S608
            [practice_id, stemmed, plain],
        )


def unindex_practice(practice_id: int) -> None:
    if is_postgres():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [practice_id])  # noqa: S608


def rebuild_index() -> int:
    """Write the FTS rows of every practice again (SQLite): after a bulk load or a stemmer change."""
    from parcours.doctrine.models import Practice

    if is_postgres():
        return 0
    rows = []
    for pk, document in Practice.objects.values_list("pk", "search_document").iterator(chunk_size=2000):
        rows.append((pk, " ".join(stems(document)), " ".join(words(document))))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
        cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, stems, words) VALUES (%s, %s, %s)", rows)  # noqa: S608
    return len(rows)


# --- matching ----------------------------------------------------------------------------------


def fts_expression(query: str) -> str:
    """The FTS5 MATCH expression of a typed query: every word must be there (AND)."""
    if stemmer() is not None:
        terms = [f'"{t}"' for t in stems(query)]
        return f"stems : ({' '.join(terms)})" if terms else ""
    terms = [f'"{t}"*' for t in words(query)]
    return f"words : ({' '.join(terms)})" if terms else ""


def matching_sql(query: str) -> tuple[str, list] | None:
    """SQL selecting the ids of the practices matching the query (None: nothing to search for)."""
    if not words(query):
        return None
    if is_postgres():
        # Only module constants are interpolated; the query is a parameter.
        return (
            "SELECT id FROM doctrine_practice WHERE "  # noqa: S608
            f"to_tsvector('{PG_CONFIG}'::regconfig, search_document) @@ plainto_tsquery('{PG_CONFIG}'::regconfig, %s)",
            [query],
        )
    return (f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts_expression(query)])  # noqa: S608


def ranked_ids(query: str, within_sql: str, within_params: list, *, limit: int, offset: int) -> list[int]:
    """The ids of one page of matches among `within_sql` (ids), best first."""
    if is_postgres():
        # Only module constants and the ORM's own SQL (`within_sql`) are interpolated.
        sql = (
            "SELECT id FROM doctrine_practice WHERE "  # noqa: S608
            f"to_tsvector('{PG_CONFIG}'::regconfig, search_document) @@ plainto_tsquery('{PG_CONFIG}'::regconfig, %s) "
            f"AND id IN ({within_sql}) ORDER BY ts_rank(to_tsvector('{PG_CONFIG}'::regconfig, search_document), "
            f"plainto_tsquery('{PG_CONFIG}'::regconfig, %s)) DESC, id DESC LIMIT %s OFFSET %s"
        )
        params = [query, *within_params, query, limit, offset]
    else:
        sql = (
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid IN ({within_sql}) "  # noqa: S608
            "ORDER BY rank, rowid DESC LIMIT %s OFFSET %s"
        )
        params = [fts_expression(query), *within_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# --- extracts ----------------------------------------------------------------------------------


def _key(word: str) -> str:
    s = stemmer()
    plain = unaccent(word.lower())
    return s.stemWord(plain) if s is not None else plain


def extract(text: str, query: str, *, width: int = 220) -> str:
    """Safe HTML: a passage of `text` around the first match, the matching words in <mark>."""
    keys = {_key(w) for w in WORD.findall(query)}
    prefix = stemmer() is None
    if not text:
        return ""

    def hit(word: str) -> bool:
        k = _key(word)
        return any(k.startswith(q) for q in keys) if prefix else k in keys

    matches = [m for m in WORD.finditer(text) if keys and hit(m.group())]
    start = 0
    if matches:
        start = max(0, matches[0].start() - width // 3)
        # Start on a word boundary.
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start > 0 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.find(" ", end)
        end = space if space != -1 and space - end < 30 else end
    passage = text[start:end]
    marked = []
    last = 0
    for m in WORD.finditer(passage):
        if keys and hit(m.group()):
            marked.append(passage[last : m.start()])
            marked.append(MARK_OPEN + m.group() + MARK_CLOSE)
            last = m.end()
    marked.append(passage[last:])
    out = html.escape("".join(marked)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return ("… " if start > 0 else "") + out + (" …" if end < len(text) else "")
