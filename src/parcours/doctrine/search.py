"""French full-text search over practice sheets, on PostgreSQL and on SQLite.

Both databases see the same words: lower case, accents removed, then the Snowball French stemmer
("violences" → "violenc", "médiation" and "mediation" → "mediat"). So "violence" finds "violences",
"reunion" finds "Réunion", "mediation familiale" finds "médiation familiale".

- PostgreSQL: the text search configuration `parcours_french` (a copy of `french` whose words go
  through `unaccent` then `french_stem`, migration 0002), and the generated column `search_vector`
  = `to_tsvector('parcours_french'::regconfig, search_document)`, stored and GIN-indexed (migration
  0005): matching uses the index and ranking reads the stored vectors.
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
# The stored, GIN-indexed vector of `search_document` (generated column, migration 0005).
PG_VECTOR = "search_vector"
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


def match_condition(query: str) -> tuple[str, list] | None:
    """SQL restricting `doctrine_practice` to the sheets matching `query`, to AND into a filtered
    queryset (None: nothing to search for; the condition then matches nothing if no word is left).

    PostgreSQL: the GIN-indexed generated vector. SQLite: the ids the FTS5 index returns (one read
    of the index, turned by SQLite into a lookup list).
    """
    if not words(query):
        return None
    if is_postgres():
        return f"{PG_VECTOR} @@ plainto_tsquery('{PG_CONFIG}'::regconfig, %s)", [query]
    expression = fts_expression(query)
    if not expression:
        return "1 = 0", []
    return (
        f"doctrine_practice.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",  # noqa: S608
        [expression],
    )


def pg_rank(query: str) -> tuple[str, list]:
    """PostgreSQL: the rank of a matching sheet, read from its stored vector (to ORDER BY … LIMIT)."""
    return f"ts_rank({PG_VECTOR}, plainto_tsquery('{PG_CONFIG}'::regconfig, %s))", [query]


def fts_page(filtered_sql: str, params: list, query: str, *, offset: int, limit: int) -> list[int]:
    """SQLite: the ids of one page of the matching sheets the actor may read (`filtered_sql`, a
    SELECT of their ids), best first by bm25 inside the FTS5 index: only the page leaves SQLite."""
    # "+rowid": the filter is applied to the index's matches, not handed to FTS5 as a rowid
    # constraint (FTS5 would then run the MATCH once per allowed id: seconds on 10,000 sheets).
    sql = (
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND +rowid IN ({filtered_sql}) "  # noqa: S608
        "ORDER BY rank, rowid DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [fts_expression(query), *params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


# --- extracts ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=20_000)
def _stem_key(word: str, stemmed: bool) -> str:
    plain = unaccent(word.lower())
    s = stemmer() if stemmed else None
    return s.stemWord(plain) if s is not None else plain


def _key(word: str) -> str:
    return _stem_key(word, stemmer() is not None)


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
