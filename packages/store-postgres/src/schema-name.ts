/**
 * Validation of the PostgreSQL schema name the store lives in.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';

/** The schema used when none is given. */
export const DEFAULT_SCHEMA = 'es';

/**
 * The rule a schema name must follow: a lowercase unquoted identifier of at most 56 characters
 * (so the NOTIFY channel `<schema>_events` stays within PostgreSQL's 63-byte identifier limit),
 * not reserved (`pg_…`, `information_schema`).
 */
export const SCHEMA_NAME_RULE =
  'must match /^[a-z_][a-z0-9_]{0,55}$/ and must not start with "pg_" or be "information_schema"';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,55}$/;

/**
 * Returns `schema` (default {@link DEFAULT_SCHEMA}) when it is a valid schema name.
 *
 * The name is only ever used after this check, and always double-quoted, so it can never inject
 * SQL.
 *
 * @param field - the option named in the error, for example `'PostgresEventStore.schema'`
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when the name breaks {@link SCHEMA_NAME_RULE}
 * @example
 * ```ts
 * validateSchemaName('tenant_a', 'migrate.schema'); // 'tenant_a'
 * validateSchemaName('Robert"; DROP', 'migrate.schema'); // throws InvalidConfigError
 * ```
 */
export function validateSchemaName(schema: unknown, field: string): string {
  if (schema === undefined) return DEFAULT_SCHEMA;
  if (
    typeof schema !== 'string' ||
    !SCHEMA_NAME.test(schema) ||
    schema.startsWith('pg_') ||
    schema === 'information_schema'
  ) {
    throw new InvalidConfigError(field, SCHEMA_NAME_RULE, schema);
  }
  return schema;
}

/** The LISTEN/NOTIFY channel of a (validated) schema: `<schema>_events`. */
export function notifyChannel(schema: string): string {
  return `${schema}_events`;
}
