"""The vault's schema, as an append-only list of migrations tracked in `PRAGMA user_version`.

Never edit a migration that has shipped: add a new one at the end.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the first schema.
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL
    );

    CREATE TABLE device (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        origin TEXT NOT NULL,
        signing_key BLOB NOT NULL,
        public_key BLOB NOT NULL
    );

    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_utc TEXT NOT NULL
    );

    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        case_id INTEGER REFERENCES cases (id),
        name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        content BLOB NOT NULL,
        created_utc TEXT NOT NULL
    );

    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        text TEXT,
        image BLOB,
        image_media_type TEXT,
        UNIQUE (document_id, number)
    );

    -- A result is one job's output for one document; its content lives in revisions.
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('digitize', 'summarize', 'extract')),
        provenance_json TEXT NOT NULL,
        created_utc TEXT NOT NULL
    );
    CREATE INDEX results_by_document ON results (document_id, kind);

    -- Revision 1 is the job's output; every edit adds the next revision.
    CREATE TABLE result_revisions (
        result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
        revision INTEGER NOT NULL,
        content_json TEXT NOT NULL,
        author TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        PRIMARY KEY (result_id, revision)
    );
    CREATE TRIGGER result_revisions_are_never_rewritten
    BEFORE UPDATE ON result_revisions
    BEGIN
        SELECT RAISE(ABORT, 'result revisions are never rewritten');
    END;

    CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        schema_json TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        updated_utc TEXT NOT NULL
    );

    CREATE TABLE models (
        name TEXT PRIMARY KEY,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        architecture TEXT,
        parameter_count INTEGER,
        context_length INTEGER,
        quantization TEXT,
        has_chat_template INTEGER NOT NULL,
        mmproj_file TEXT,
        mmproj_sha256 TEXT,
        imported_utc TEXT NOT NULL
    );

    CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        ts_utc TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        details_json TEXT NOT NULL,
        leaf_hash BLOB NOT NULL
    );
    CREATE TRIGGER audit_events_are_never_updated
    BEFORE UPDATE ON audit_events
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only');
    END;
    CREATE TRIGGER audit_events_are_never_deleted
    BEFORE DELETE ON audit_events
    BEGIN
        SELECT RAISE(ABORT, 'audit events are append-only');
    END;

    -- The Merkle tree's right edge (so appending is O(log n)) and the latest signed checkpoint.
    CREATE TABLE audit_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        tree_size INTEGER NOT NULL,
        frontier_json TEXT NOT NULL,
        checkpoint TEXT NOT NULL
    );

    CREATE VIRTUAL TABLE search_index USING fts5 (
        text,
        document_id UNINDEXED,
        page_number UNINDEXED,
        result_id UNINDEXED,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
    # 2: what made each revision of a result (OCR, a model, the user, a restore), as JSON.
    """
    ALTER TABLE result_revisions ADD COLUMN made_by_json TEXT;
    """,
    # 3: every checkpoint the device signed, in order (each names the one before it), and the
    # key of the keyed hash that stands for a search's words in the log. A vault from before
    # starts its chain at its latest checkpoint.
    """
    CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        tree_size INTEGER NOT NULL,
        note TEXT NOT NULL
    );
    CREATE TRIGGER checkpoints_are_never_updated
    BEFORE UPDATE ON checkpoints
    BEGIN
        SELECT RAISE(ABORT, 'the checkpoint chain is append-only');
    END;
    CREATE TRIGGER checkpoints_are_never_deleted
    BEFORE DELETE ON checkpoints
    BEGIN
        SELECT RAISE(ABORT, 'the checkpoint chain is append-only');
    END;
    INSERT INTO checkpoints (tree_size, note) SELECT tree_size, checkpoint FROM audit_state;
    ALTER TABLE device ADD COLUMN query_key BLOB;
    UPDATE device SET query_key = randomblob(32);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
