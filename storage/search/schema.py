"""The search indexes of both engines, as SQL: one source for the migration and for repairs.

Both index the same text: the first ``SEARCHABLE_CHARS`` characters of ``documents.search_text``
(``core.text.fold`` of the document, filled by the pipeline), cut into tokens at every character
outside ``[a-z0-9]``.

PostgreSQL: a stored ``tsvector`` column generated from that text, with a GIN index. Each token
gets an ``x`` in front before the ``simple`` parser sees it, so the parser yields exactly one
lexeme per token (it would otherwise split ``5e7a`` into a float and a word). Stored rather than
an expression index because ranking and phrase checks read every matching row's vector.

SQLite: a contentless FTS5 table whose tokenizer treats exactly ``[a-z0-9]`` as token characters
(general category ``Cs`` never occurs in UTF-8 text), kept in step with ``documents`` by triggers,
and an ``fts5vocab`` view of it that gives per-document term counts for ranking.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

__all__ = [
    "METADATA_FIELDS",
    "POSTGRES_DOWN",
    "POSTGRES_UP",
    "SEARCHABLE_CHARS",
    "SQLITE_DOWN",
    "SQLITE_UP",
    "metadata_index_sql",
    "metadata_sql",
    "postgres_plain_sql",
    "rebuild_sqlite_index",
    "repair_sqlite_index",
]

# Keeps the largest tsvector under PostgreSQL's 1 MB cap even for random tokens (about 2 bytes
# of vector per character at worst); ~100 pages of dense text.
SEARCHABLE_CHARS = 400_000

# Metadata fields that filters compare, each with an expression index.
METADATA_FIELDS = ("document_type", "type_code", "issuer", "number", "symbol", "issued_date")


def metadata_sql(dialect: str, field: str, *, table: str = "documents.") -> str:
    """The SQL of one metadata value; filters must use this expression to hit its index."""
    if field not in (*METADATA_FIELDS, "number_year"):
        raise ValueError(f"not a filterable metadata field: {field}")
    if dialect == "postgresql":
        return f"({table}metadata_json ->> '{field}')"
    return f"json_extract({table}metadata_json, '$.{field}')"


def _short(field: str) -> str:
    return field.replace("document_", "").replace("_", "")


def metadata_index_sql(dialect: str, field: str) -> tuple[str, str]:
    """The name of ``field``'s expression index and the statement that creates it."""
    name = f"ix_documents_meta_{_short(field)}"
    exists = "" if dialect == "postgresql" else "IF NOT EXISTS "
    return name, f"CREATE INDEX {exists}{name} ON documents ({metadata_sql(dialect, field, table='')})"


def postgres_plain_sql(column: str = "search_text") -> str:
    """The searchable text of ``column`` as its tokens separated by single spaces."""
    return f"regexp_replace(left(coalesce({column}, ''), {SEARCHABLE_CHARS}), '[^a-z0-9]+', ' ', 'g')"


_PG_TOKENS = rf"regexp_replace({postgres_plain_sql()}, '[a-z0-9]+', 'x\&', 'g')"

POSTGRES_UP: tuple[str, ...] = (
    f"ALTER TABLE documents ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS (to_tsvector('simple', {_PG_TOKENS})) STORED",
    "CREATE INDEX ix_documents_search_vector ON documents USING gin (search_vector)",
    # A finer word-frequency sample: with the default, a rare word's matches are overestimated
    # tenfold and the planner intersects them with a whole metadata index instead of filtering.
    "ALTER TABLE documents ALTER COLUMN search_vector SET STATISTICS 1000",
    # LIKE 'prefix.%' on codes uses a btree only with pattern ops outside the C collation.
    "CREATE INDEX ix_documents_procedure_code_pattern ON documents (procedure_code text_pattern_ops)",
    *(metadata_index_sql("postgresql", f)[1] for f in METADATA_FIELDS),
)
POSTGRES_DOWN: tuple[str, ...] = (
    *(f"DROP INDEX IF EXISTS ix_documents_meta_{_short(f)}" for f in METADATA_FIELDS),
    "DROP INDEX IF EXISTS ix_documents_procedure_code_pattern",
    "DROP INDEX IF EXISTS ix_documents_search_vector",
    "ALTER TABLE documents DROP COLUMN IF EXISTS search_vector",
)

_SQLITE_BODY = f"substr({{row}}.search_text, 1, {SEARCHABLE_CHARS})"
_NEW, _OLD = _SQLITE_BODY.format(row="new"), _SQLITE_BODY.format(row="old")
_TRIGGERS = ("documents_fts_insert", "documents_fts_delete", "documents_fts_update")

SQLITE_UP: tuple[str, ...] = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(body, content='', columnsize=0, detail=full, "
    "tokenize=\"unicode61 remove_diacritics 0 categories 'Cs' "
    "tokenchars 'abcdefghijklmnopqrstuvwxyz0123456789'\")",
    "CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts_vocab USING fts5vocab(documents_fts, instance)",
    # A contentless table forgets its text: a delete must hand back exactly what was indexed.
    "CREATE TRIGGER IF NOT EXISTS documents_fts_insert AFTER INSERT ON documents "
    "WHEN new.search_text IS NOT NULL BEGIN "
    f"INSERT INTO documents_fts(rowid, body) VALUES (new.rowid, {_NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS documents_fts_delete AFTER DELETE ON documents "
    "WHEN old.search_text IS NOT NULL BEGIN "
    f"INSERT INTO documents_fts(documents_fts, rowid, body) VALUES ('delete', old.rowid, {_OLD}); END",
    f"CREATE TRIGGER IF NOT EXISTS documents_fts_update AFTER UPDATE OF search_text ON documents BEGIN "
    f"INSERT INTO documents_fts(documents_fts, rowid, body) "
    f"SELECT 'delete', old.rowid, {_OLD} WHERE old.search_text IS NOT NULL; "
    f"INSERT INTO documents_fts(rowid, body) SELECT new.rowid, {_NEW} WHERE new.search_text IS NOT NULL; END",
    *(metadata_index_sql("sqlite", f)[1] for f in METADATA_FIELDS),
)
SQLITE_DOWN: tuple[str, ...] = (
    *(f"DROP INDEX IF EXISTS ix_documents_meta_{_short(f)}" for f in METADATA_FIELDS),
    *(f"DROP TRIGGER IF EXISTS {name}" for name in _TRIGGERS),
    "DROP TABLE IF EXISTS documents_fts_vocab",
    "DROP TABLE IF EXISTS documents_fts",
)


# What the statements above create outside the models, so schema comparisons can leave it out.
# SQLite's FTS5 also makes shadow tables of its own (documents_fts_data, _idx, _config, ...).
SEARCH_INDEXES: frozenset[str] = frozenset(
    {
        *(metadata_index_sql("postgresql", f)[0] for f in METADATA_FIELDS),
        "ix_documents_procedure_code_pattern",
        "ix_documents_search_vector",
    }
)
SEARCH_TABLE_PREFIX = "documents_fts"
SEARCH_COLUMNS: frozenset[tuple[str, str]] = frozenset({("documents", "search_vector")})


def rebuild_sqlite_index(conn: Connection) -> None:
    """Index every document's current text again (after the triggers were lost)."""
    conn.exec_driver_sql("INSERT INTO documents_fts(documents_fts) VALUES ('delete-all')")
    conn.exec_driver_sql(
        f"INSERT INTO documents_fts(rowid, body) SELECT rowid, {_SQLITE_BODY.format(row='documents')} "
        "FROM documents WHERE search_text IS NOT NULL"
    )


def repair_sqlite_index(conn: Connection) -> bool:
    """Recreate what is missing of the index and rebuild it; True if it had to.

    SQLite migrations in batch mode copy ``documents`` into a new table, which drops its
    triggers and renumbers its rowids: the index is then stale until rebuilt.
    """
    names = ", ".join(f"'{name}'" for name in (*_TRIGGERS, "documents_fts", "documents_fts_vocab"))
    found = conn.execute(
        text(f"SELECT count(*) FROM sqlite_master WHERE name IN ({names}) AND type IN ('trigger', 'table')")
    ).scalar_one()
    if found == len(_TRIGGERS) + 2:
        return False
    for statement in SQLITE_UP:
        conn.exec_driver_sql(statement)
    rebuild_sqlite_index(conn)
    return True
