import type { MigrationObject } from '@mikro-orm/core';
import { sqliteMigrations } from './sqlite/index.js';
import { postgresqlMigrations } from './postgresql/index.js';

export type ChatterPlatform = 'sqlite' | 'postgresql';

/** The chatter's migrations per platform, oldest first (for a host's `migrations.migrationsList`). */
export const CHATTER_MIGRATIONS: Record<ChatterPlatform, MigrationObject[]> = {
  sqlite: sqliteMigrations,
  postgresql: postgresqlMigrations,
};
