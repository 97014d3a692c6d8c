import { describe, expect, it } from 'vitest';
import { drizzleQueryError, postgresError } from '../../test/support/fake-drizzle.js';
import { conditionName, describeDriverError, driverErrorInfo, sqlStateOf } from './driver-error.js';

describe('driver errors', () => {
  it('reads SQLSTATE and identifiers of a postgres.js error', () => {
    const error = postgresError('23505', {
      constraint_name: 'events_event_id_key',
      table_name: 'events',
    });
    expect(driverErrorInfo(error)).toMatchObject({
      sqlState: '23505',
      constraint: 'events_event_id_key',
      table: 'events',
    });
    expect(describeDriverError(error)).toBe(
      'SQLSTATE 23505 (unique_violation), constraint "events_event_id_key", table "events"',
    );
  });

  it('finds the driver error behind drizzle and never repeats SQL parameters or messages', () => {
    const wrapped = drizzleQueryError(postgresError('22P02'));
    expect(sqlStateOf(wrapped)).toBe('22P02');
    const text = describeDriverError(wrapped);
    expect(text).toBe('SQLSTATE 22P02 (invalid_text_representation)');
    expect(text).not.toContain('secret');
  });

  it("reads PGlite's error fields (constraint, table) but not its query or params", () => {
    const pglite = Object.assign(new Error('duplicate key'), {
      code: '23505',
      constraint: 'events_stream_version_key',
      table: 'events',
      query: 'insert …',
      params: ['secret-value'],
    });
    const info = driverErrorInfo(pglite);
    expect(info).toMatchObject({ sqlState: '23505', constraint: 'events_stream_version_key' });
    expect(describeDriverError(pglite)).not.toContain('secret');
  });

  it('reports connection-level codes and hints at missing migrations', () => {
    expect(describeDriverError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(
      'driver error ECONNREFUSED',
    );
    expect(describeDriverError(postgresError('42P01'))).toContain('run migrate()');
    expect(describeDriverError(new TypeError('boom'))).toBe('TypeError without a SQLSTATE');
    expect(describeDriverError('nope')).toBe('string without a SQLSTATE');
  });

  it('names conditions, falling back to the SQLSTATE class', () => {
    expect(conditionName('40001')).toBe('serialization_failure');
    expect(conditionName('08P01')).toBe('connection exception');
    expect(conditionName('ZZ999')).toBe('unknown condition');
  });

  it('stops at a bounded cause depth and survives cycles', () => {
    const a: { cause?: unknown; code?: string } = {};
    const b = { cause: a };
    a.cause = b;
    expect(driverErrorInfo(a).sqlState).toBeUndefined();
  });
});
