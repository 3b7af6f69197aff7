/**
 * The tables of schema version 1, created when missing; `schema-migrations.ts` brings them up to
 * date from there.
 */
export const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contracts (
  client_id TEXT PRIMARY KEY, application_id TEXT NOT NULL, contract_id TEXT NOT NULL, name TEXT NOT NULL,
  public_key TEXT NOT NULL, redirect_uri TEXT NOT NULL, write INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS postboxes (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL, public_key TEXT NOT NULL,
  private_key TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (user_id, client_id));
CREATE TABLE IF NOT EXISTS preauthorizations (
  code TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL,
  state TEXT, user_id TEXT, session_key TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS authorization_codes (
  code TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, postbox_id TEXT NOT NULL,
  code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  value TEXT PRIMARY KEY, kind TEXT NOT NULL, pair_id TEXT NOT NULL, client_id TEXT NOT NULL,
  user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, revoked_at INTEGER,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens (user_id);
CREATE TABLE IF NOT EXISTS nonces (
  client_id TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (client_id, nonce));
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, postbox_id TEXT NOT NULL, client_id TEXT NOT NULL,
  file_name TEXT NOT NULL, mime_type TEXT NOT NULL, metadata TEXT NOT NULL, size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, path TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS files_user ON files (user_id, created_at);
CREATE INDEX IF NOT EXISTS files_postbox ON files (postbox_id, created_at);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
`;
