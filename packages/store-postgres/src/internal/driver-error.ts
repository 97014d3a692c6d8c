/**
 * Reading driver errors without leaking SQL parameters.
 *
 * postgres.js throws `PostgresError` (SQLSTATE in `code`, `constraint_name`, `table_name`…),
 * PGlite throws `DatabaseError` (`code`, `constraint`, `table`… and also `query` and `params`),
 * drizzle wraps both in `DrizzleQueryError` whose `message` holds the SQL and its parameters and
 * whose `cause` is the driver error. Everything here walks the `cause` chain and only ever reads
 * codes and identifiers.
 *
 * @module
 * @internal
 */

/** What is safe to know about a driver error. */
export interface DriverErrorInfo {
  /** The five-character SQLSTATE, when the server sent one. */
  readonly sqlState: string | undefined;
  /** A non-SQLSTATE code: Node's `ECONNREFUSED`, postgres.js `CONNECTION_CLOSED`… */
  readonly driverCode: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const MAX_CAUSE_DEPTH = 8;

/** Walks `error` and its `cause` chain and collects the codes and identifiers it carries. */
export function driverErrorInfo(error: unknown): DriverErrorInfo {
  let sqlState: string | undefined;
  let driverCode: string | undefined;
  let constraint: string | undefined;
  let table: string | undefined;
  let column: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObject(current); depth++) {
    const code = stringField(current, 'code');
    if (code !== undefined) {
      if (sqlState === undefined && SQLSTATE.test(code)) sqlState = code;
      else if (driverCode === undefined && !code.startsWith('ES_') && !SQLSTATE.test(code)) {
        driverCode = code;
      }
    }
    constraint ??= stringField(current, 'constraint_name') ?? stringField(current, 'constraint');
    table ??= stringField(current, 'table_name') ?? stringField(current, 'table');
    column ??= stringField(current, 'column_name') ?? stringField(current, 'column');
    if (sqlState !== undefined) break;
    current = (current as { cause?: unknown }).cause;
  }
  return { sqlState, driverCode, constraint, table, column };
}

/** The SQLSTATE in `error` or its causes, if any. */
export function sqlStateOf(error: unknown): string | undefined {
  return driverErrorInfo(error).sqlState;
}

/**
 * A one-line description of a driver error made only of codes and identifiers, for example
 * `SQLSTATE 23505 (unique_violation), constraint "events_event_id_key"`. Never the driver's
 * message: PostgreSQL puts input values in some messages, drizzle puts every parameter in its own.
 */
export function describeDriverError(error: unknown): string {
  const info = driverErrorInfo(error);
  const parts: string[] = [];
  if (info.sqlState !== undefined) {
    parts.push(`SQLSTATE ${info.sqlState} (${conditionName(info.sqlState)})`);
  } else if (info.driverCode !== undefined) {
    parts.push(`driver error ${info.driverCode}`);
  } else {
    parts.push(`${errorName(error)} without a SQLSTATE`);
  }
  if (info.constraint !== undefined) parts.push(`constraint "${info.constraint}"`);
  if (info.table !== undefined) parts.push(`table "${info.table}"`);
  if (info.column !== undefined) parts.push(`column "${info.column}"`);
  const hint = info.sqlState === undefined ? undefined : HINTS[info.sqlState];
  return hint === undefined ? parts.join(', ') : `${parts.join(', ')}; ${hint}`;
}

const HINTS: Readonly<Record<string, string>> = {
  '42P01': 'a table is missing: run migrate() for this schema first',
  '3F000': 'the schema is missing: run migrate() for this schema first',
  '42883': 'a function is missing: PostgreSQL 13 or newer is required',
};

const CONDITIONS: Readonly<Record<string, string>> = {
  '08000': 'connection_exception',
  '08003': 'connection_does_not_exist',
  '08006': 'connection_failure',
  '08001': 'sqlclient_unable_to_establish_sqlconnection',
  '08004': 'sqlserver_rejected_establishment_of_sqlconnection',
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '25P02': 'in_failed_sql_transaction',
  '28000': 'invalid_authorization_specification',
  '28P01': 'invalid_password',
  '3D000': 'invalid_catalog_name',
  '3F000': 'invalid_schema_name',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42501': 'insufficient_privilege',
  '42601': 'syntax_error',
  '42703': 'undefined_column',
  '42883': 'undefined_function',
  '42P01': 'undefined_table',
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '53300': 'too_many_connections',
  '55P03': 'lock_not_available',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  XX000: 'internal_error',
};

const CLASSES: Readonly<Record<string, string>> = {
  '08': 'connection exception',
  '22': 'data exception',
  '23': 'integrity constraint violation',
  '25': 'invalid transaction state',
  '28': 'invalid authorization',
  '40': 'transaction rollback',
  '42': 'syntax error or access rule violation',
  '53': 'insufficient resources',
  '54': 'program limit exceeded',
  '55': 'object not in prerequisite state',
  '57': 'operator intervention',
  '58': 'system error',
  XX: 'internal error',
};

/** The condition name of a SQLSTATE (or its class description when the code is not listed). */
export function conditionName(sqlState: string): string {
  return CONDITIONS[sqlState] ?? CLASSES[sqlState.slice(0, 2)] ?? 'unknown condition';
}

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function stringField(value: object, key: string): string | undefined {
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field.length > 0 ? field : undefined;
}
