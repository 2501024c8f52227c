import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export interface Migration {
  version: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ version: file.replace(/\.sql$/, ''), sql: readFileSync(path.join(dir, file), 'utf8') }));
}

// Any fixed number: it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK = 7_340_021;

/**
 * Applies the versioned SQL files not yet applied, each in its own transaction, under an advisory
 * lock so that several processes starting together migrate once.
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<string[]> {
  await db.exec('create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())');
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const done = new Set((await tx.query<{ version: string }>('select version from schema_migrations')).map((r) => r.version));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('insert into schema_migrations (version) values ($1)', [migration.version]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/**
 * Splits a migration on `;` at line ends (one statement per `;\n`), except inside a dollar-quoted body
 * (`$$ … $$`, `$fn$ … $fn$`): a function or a DO block keeps its own statements.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let quote: string | null = null;
  const dollar = /\$[A-Za-z_]*\$/y;
  const end = /;[ \t\r]*(?:\n|$)/y;
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === "'" && quote === null) {
      // A string literal ('' inside it is a quote): skipped whole.
      let close = sql.indexOf("'", i + 1);
      while (close >= 0 && sql[close + 1] === "'") close = sql.indexOf("'", close + 2);
      if (close < 0) break;
      i = close;
      continue;
    }
    if (sql[i] === '-' && sql[i + 1] === '-' && quote === null) {
      // A comment runs to the end of its line: a `$` or `;` in it means nothing.
      const eol = sql.indexOf('\n', i);
      if (eol < 0) break;
      i = eol;
      continue;
    }
    if (sql[i] === '$') {
      dollar.lastIndex = i;
      const tag = dollar.exec(sql)?.[0];
      if (tag && (quote === null || quote === tag)) {
        quote = quote === null ? tag : null;
        i += tag.length - 1;
        continue;
      }
    }
    if (sql[i] === ';' && quote === null) {
      end.lastIndex = i;
      const match = end.exec(sql);
      if (match) {
        statements.push(sql.slice(start, i));
        start = i + match[0].length;
        i = start - 1;
      }
    }
  }
  statements.push(sql.slice(start));
  // Comments stay in the statement (the server skips them); a chunk of nothing but comments is dropped.
  return statements.map((s) => s.trim()).filter((s) => s.replace(/^\s*--.*$/gm, '').trim().length > 0);
}
