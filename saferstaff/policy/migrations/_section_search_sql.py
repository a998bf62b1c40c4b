"""The full-text search objects of migration 0005 (dropped again by 0011)."""

SQLITE_UP = [
    "CREATE VIRTUAL TABLE policy_section_fts USING fts5("
    "title, text, content='policy_policysection', content_rowid='id', tokenize='porter unicode61')",
    "INSERT INTO policy_section_fts(rowid, title, text) SELECT id, title, text FROM policy_policysection",
    "CREATE TRIGGER policy_section_fts_ai AFTER INSERT ON policy_policysection BEGIN "
    "INSERT INTO policy_section_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER policy_section_fts_ad AFTER DELETE ON policy_policysection BEGIN "
    "INSERT INTO policy_section_fts(policy_section_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER policy_section_fts_au AFTER UPDATE ON policy_policysection BEGIN "
    "INSERT INTO policy_section_fts(policy_section_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO policy_section_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS policy_section_fts_au",
    "DROP TRIGGER IF EXISTS policy_section_fts_ad",
    "DROP TRIGGER IF EXISTS policy_section_fts_ai",
    "DROP TABLE IF EXISTS policy_section_fts",
]
POSTGRES_UP = [
    "CREATE INDEX policy_section_search ON policy_policysection USING GIN "
    "((setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')))"
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS policy_section_search"]
