/**
 * The built-in classification table (CONTRACT §4), written for Node and PostgreSQL. Every
 * classification object is created once at module load; classifying allocates nothing.
 *
 * @internal
 * @module
 */
import { isEventSourceError, SerializationError } from '@es/core';
import { ErrorCategory } from '../error-category.js';
import { ErrorClassification } from '../error-classification.js';
import { ErrorSeverity } from '../error-severity.js';
import { ConnectionError, KeyError, TimeoutError } from '../errors.js';

const { TRANSIENT, APPLICATION, INFRASTRUCTURE } = ErrorCategory;
const { MEDIUM, HIGH, CRITICAL } = ErrorSeverity;

function rule(
  category: ErrorCategory,
  severity: ErrorSeverity,
  retryable: boolean,
  description: string,
): ErrorClassification {
  return new ErrorClassification({ category, severity, retryable, description });
}

const CONNECTION = rule(TRANSIENT, MEDIUM, true, 'Connection error - likely temporary');
const TIMEOUT = rule(TRANSIENT, MEDIUM, true, 'Timeout error - operation took too long');
const KEY = rule(APPLICATION, MEDIUM, false, 'Key error - missing expected data');
const SERIALIZATION = rule(APPLICATION, MEDIUM, false, 'Serialization error - invalid data');
const OUT_OF_MEMORY = rule(INFRASTRUCTURE, CRITICAL, false, 'Memory exhausted');

/** Node errno codes and postgres.js connection codes, matched exactly on `error.code`. */
const CODES = new Map<string, ErrorClassification>();
for (const code of [
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]) {
  CODES.set(code, rule(TRANSIENT, MEDIUM, true, `Network error (${code}) - likely temporary`));
}
for (const code of ['CONNECT_TIMEOUT', 'CONNECTION_CLOSED']) {
  CODES.set(
    code,
    rule(TRANSIENT, MEDIUM, true, `Database connection error (${code}) - likely temporary`),
  );
}

/** PostgreSQL SQLSTATEs matched exactly (checked before the class table). */
const SQLSTATES = new Map<string, ErrorClassification>([
  ['57P01', rule(TRANSIENT, MEDIUM, true, 'PostgreSQL admin_shutdown (57P01) - likely temporary')],
  ['57P02', rule(TRANSIENT, MEDIUM, true, 'PostgreSQL crash_shutdown (57P02) - likely temporary')],
  [
    '57P03',
    rule(TRANSIENT, MEDIUM, true, 'PostgreSQL cannot_connect_now (57P03) - likely temporary'),
  ],
  [
    '53300',
    rule(TRANSIENT, MEDIUM, true, 'PostgreSQL too_many_connections (53300) - likely temporary'),
  ],
  [
    '40001',
    rule(
      TRANSIENT,
      MEDIUM,
      true,
      'PostgreSQL serialization_failure (40001) - retry the transaction',
    ),
  ],
  [
    '40P01',
    rule(TRANSIENT, MEDIUM, true, 'PostgreSQL deadlock_detected (40P01) - retry the transaction'),
  ],
  [
    '55P03',
    rule(TRANSIENT, MEDIUM, true, 'PostgreSQL lock_not_available (55P03) - retry the transaction'),
  ],
  ['53100', rule(INFRASTRUCTURE, CRITICAL, false, 'PostgreSQL disk_full (53100)')],
  ['53200', rule(INFRASTRUCTURE, CRITICAL, false, 'PostgreSQL out_of_memory (53200)')],
  ['XX000', rule(INFRASTRUCTURE, CRITICAL, false, 'PostgreSQL internal_error (XX000)')],
]);

/** PostgreSQL SQLSTATE classes (the first two characters of a five-character code). */
const SQLSTATE_CLASSES = new Map<string, ErrorClassification>([
  [
    '08',
    rule(TRANSIENT, MEDIUM, true, 'PostgreSQL connection exception (class 08) - likely temporary'),
  ],
  ['22', rule(APPLICATION, MEDIUM, false, 'PostgreSQL data exception (class 22) - invalid data')],
  ['23', rule(APPLICATION, MEDIUM, false, 'PostgreSQL integrity constraint violation (class 23)')],
  [
    '42',
    rule(
      APPLICATION,
      HIGH,
      false,
      'PostgreSQL syntax error or access rule violation (class 42) - likely code bug',
    ),
  ],
  ['58', rule(INFRASTRUCTURE, CRITICAL, false, 'PostgreSQL system error (class 58)')],
]);

/** Codes of this package's (and core's) errors, for copies of the classes from another bundle. */
const BRANDED_CODES = new Map<string, ErrorClassification>([
  ['ES_CONNECTION', CONNECTION],
  ['ES_TIMEOUT', TIMEOUT],
  ['ES_KEY_NOT_FOUND', KEY],
  ['ES_SERIALIZATION', SERIALIZATION],
]);

/** Classes, matched along the prototype chain, nearest ancestor first. */
const CLASSES = new Map<object, ErrorClassification>([
  [ConnectionError.prototype, CONNECTION],
  [TimeoutError.prototype, TIMEOUT],
  [KeyError.prototype, KEY],
  [SerializationError.prototype, SERIALIZATION],
  [RangeError.prototype, rule(APPLICATION, MEDIUM, false, 'Range error - invalid value')],
  [SyntaxError.prototype, rule(APPLICATION, MEDIUM, false, 'Syntax error - invalid input')],
  [TypeError.prototype, rule(APPLICATION, HIGH, false, 'Type error - likely code bug')],
  [ReferenceError.prototype, rule(APPLICATION, HIGH, false, 'Reference error - likely code bug')],
]);

const DOM_TIMEOUT = rule(
  TRANSIENT,
  MEDIUM,
  true,
  'Timeout (DOMException TimeoutError) - operation took too long',
);

/** Messages of out-of-memory conditions (V8 allocation failures, drivers, servers). */
const OUT_OF_MEMORY_MESSAGE = /out of memory|array buffer allocation failed/i;

/** Result of the prototype walk per prototype object (`null`: no class in the chain matched). */
const prototypeCache = new WeakMap<object, ErrorClassification | null>();

/** Longest prototype chain walked (guards against pathological chains). */
const MAX_PROTOTYPE_DEPTH = 32;

/**
 * Classifies one value with the built-in table only; `undefined` when no row matches.
 * Order: `code` (Node/driver codes, exact SQLSTATE, SQLSTATE class, `@es` codes), DOMException
 * `TimeoutError`, out-of-memory message, then the class table along the prototype chain.
 */
export function classifyBuiltin(
  value: object,
  code: unknown,
  message: string,
): ErrorClassification | undefined {
  if (typeof code === 'string') {
    const byCode = CODES.get(code);
    if (byCode !== undefined) return byCode;
    if (code.length === 5) {
      const bySqlState = SQLSTATES.get(code) ?? SQLSTATE_CLASSES.get(code.slice(0, 2));
      if (bySqlState !== undefined) return bySqlState;
    }
    if (isEventSourceError(value)) {
      const byBrand = BRANDED_CODES.get(code);
      if (byBrand !== undefined) return byBrand;
    }
  }
  if (
    typeof DOMException === 'function' &&
    value instanceof DOMException &&
    value.name === 'TimeoutError'
  ) {
    return DOM_TIMEOUT;
  }
  if (message.length > 0 && OUT_OF_MEMORY_MESSAGE.test(message)) return OUT_OF_MEMORY;
  return classifyByPrototype(Object.getPrototypeOf(value));
}

/** The table row of the nearest class in the prototype chain starting at `proto` (cached). */
function classifyByPrototype(proto: object | null): ErrorClassification | undefined {
  if (proto === null) return undefined;
  const cached = prototypeCache.get(proto);
  if (cached !== undefined) return cached ?? undefined;
  let found: ErrorClassification | null = null;
  let current: object | null = proto;
  for (let depth = 0; current !== null && depth < MAX_PROTOTYPE_DEPTH; depth++) {
    const row = CLASSES.get(current);
    if (row !== undefined) {
      found = row;
      break;
    }
    current = Object.getPrototypeOf(current);
  }
  prototypeCache.set(proto, found);
  return found ?? undefined;
}
