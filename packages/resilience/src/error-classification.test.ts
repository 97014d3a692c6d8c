import { InvalidConfigError } from '@es/core';
import { describe, expect, it } from 'vitest';
import { ERROR_CATEGORIES, ErrorCategory } from './error-category.js';
import { ErrorClassification } from './error-classification.js';

describe('ErrorCategory', () => {
  it('has the lowercase values of eventsource-py', () => {
    expect(ErrorCategory).toEqual({
      TRANSIENT: 'transient',
      PERMANENT: 'permanent',
      INFRASTRUCTURE: 'infrastructure',
      APPLICATION: 'application',
      UNKNOWN: 'unknown',
    });
    expect(ERROR_CATEGORIES).toEqual([
      'transient',
      'permanent',
      'infrastructure',
      'application',
      'unknown',
    ]);
  });
});

describe('ErrorClassification', () => {
  it('fills defaults: unknown / medium / not retryable / empty description', () => {
    expect(new ErrorClassification().toJSON()).toEqual({
      category: 'unknown',
      severity: 'medium',
      retryable: false,
      description: '',
    });
  });

  it('keeps the given fields and is frozen', () => {
    const c = new ErrorClassification({
      category: ErrorCategory.TRANSIENT,
      severity: 'high',
      retryable: true,
      description: 'Temporary database issue',
    });
    expect(c).toMatchObject({ category: 'transient', severity: 'high', retryable: true });
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { retryable: boolean }).retryable = false;
    }).toThrow(TypeError);
  });

  it('has value equality through equals()', () => {
    const a = new ErrorClassification({ category: 'transient', retryable: true });
    expect(a.equals(new ErrorClassification({ category: 'transient', retryable: true }))).toBe(
      true,
    );
    expect(
      a.equals({ category: 'transient', severity: 'medium', retryable: true, description: '' }),
    ).toBe(true);
    expect(a.equals(new ErrorClassification({ category: 'transient' }))).toBe(false);
  });

  it.each([
    ['category', { category: 'flaky' }],
    ['severity', { severity: 'urgent' }],
    ['retryable', { retryable: 'yes' }],
    ['description', { description: 5 }],
  ])('rejects a bad %s, naming the field', (field, options) => {
    let caught: unknown;
    try {
      new ErrorClassification(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidConfigError);
    expect((caught as InvalidConfigError).field).toBe(`ErrorClassification.${field}`);
  });

  it('from() passes instances through and builds from plain objects', () => {
    const c = new ErrorClassification();
    expect(ErrorClassification.from(c)).toBe(c);
    expect(ErrorClassification.from({ category: 'permanent' }).category).toBe('permanent');
  });
});
