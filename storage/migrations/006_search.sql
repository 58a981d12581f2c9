-- Transcript search (issue #7). The full-text index (DuckDB fts, schema fts_main_search_utterances)
-- is built over search_utterances by storage.search.refresh_search_index, not here: it needs the
-- fts extension, and a DuckDB full-text index does not follow its table, so it is rebuilt whole.

-- Each stored utterance's words as stems, in order (space-separated): what the index and
-- phrase checks read. text_hash is hash(segments.text) when indexed: an utterance whose text
-- changed since (the call was processed again) is left out of results until the next refresh
-- (which also recomputes every hash, should a duckdb upgrade change hash()).
CREATE TABLE search_utterances (
    doc_id             INTEGER NOT NULL,
    call_id            VARCHAR NOT NULL,
    idx                INTEGER NOT NULL,
    text_hash          UBIGINT NOT NULL,
    terms              VARCHAR NOT NULL
);

-- The last build (one row): calls processed after built_at are not searchable yet.
CREATE TABLE search_index (
    built_at           TIMESTAMP NOT NULL,
    utterances         INTEGER NOT NULL,
    calls              INTEGER NOT NULL,
    build_s            DOUBLE NOT NULL
);
