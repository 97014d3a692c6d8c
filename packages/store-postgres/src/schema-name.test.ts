import { InvalidConfigError } from '@es/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEMA, notifyChannel, validateSchemaName } from './schema-name.js';

describe('validateSchemaName', () => {
  it('defaults to es and accepts lowercase identifiers up to 56 characters', () => {
    expect(validateSchemaName(undefined, 'f')).toBe(DEFAULT_SCHEMA);
    for (const ok of ['es', 'tenant_a', '_x', 'a1', 'a'.repeat(56)]) {
      expect(validateSchemaName(ok, 'f')).toBe(ok);
    }
  });

  it('rejects everything else with InvalidConfigError naming the field and the rule', () => {
    const bad: unknown[] = [
      '',
      'Es',
      '1abc',
      'a-b',
      'a b',
      'es"; DROP TABLE x; --',
      'a'.repeat(57),
      'pg_catalog',
      'pg_x',
      'information_schema',
      'ü',
      null,
      42,
      {},
    ];
    for (const value of bad) {
      let error: unknown;
      try {
        validateSchemaName(value, 'PostgresEventStore.schema');
      } catch (e) {
        error = e;
      }
      expect(error, String(value)).toBeInstanceOf(InvalidConfigError);
      expect(error).toMatchObject({
        code: 'ES_INVALID_CONFIG',
        field: 'PostgresEventStore.schema',
      });
      expect((error as InvalidConfigError).rule).toContain('[a-z_]');
    }
  });

  it('keeps the NOTIFY channel within the 63-byte identifier limit', () => {
    expect(notifyChannel('es')).toBe('es_events');
    expect(notifyChannel('a'.repeat(56)).length).toBeLessThanOrEqual(63);
  });
});
