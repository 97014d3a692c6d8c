/**
 * The event types the event-store conformance kit appends, in a registry of their own.
 *
 * @module
 */
import { defineEvent } from '../event-definition.js';
import { EventRegistry } from '../event-registry.js';
import type { StandardSchemaV1 } from '../standard-schema.js';

/** The payload of {@link ConformanceItemAdded}. */
export interface ConformanceItemAddedPayload {
  readonly label: string;
  readonly quantity: number;
  readonly tags?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
}

function fail(message: string, key: string): StandardSchemaV1.FailureResult {
  return { issues: [{ message, path: [key] }] };
}

/** A hand-written Standard Schema (the kit depends on no schema library). */
const itemAddedSchema: StandardSchemaV1<ConformanceItemAddedPayload, ConformanceItemAddedPayload> =
  {
    '~standard': {
      version: 1,
      vendor: '@es/core-conformance',
      validate(value) {
        if (typeof value !== 'object' || value === null)
          return { issues: [{ message: 'not an object' }] };
        const v = value as Record<string, unknown>;
        if (typeof v.label !== 'string') return fail('must be a string', 'label');
        if (typeof v.quantity !== 'number' || !Number.isFinite(v.quantity)) {
          return fail('must be a finite number', 'quantity');
        }
        if (
          v.tags !== undefined &&
          (!Array.isArray(v.tags) || v.tags.some((t) => typeof t !== 'string'))
        ) {
          return fail('must be an array of strings', 'tags');
        }
        if (v.details !== undefined && (typeof v.details !== 'object' || v.details === null)) {
          return fail('must be an object', 'details');
        }
        return { value: v as unknown as ConformanceItemAddedPayload };
      },
    },
  };

/** The registry holding the kit's event types; give it to the store under test. */
export const eventStoreConformanceRegistry: EventRegistry = new EventRegistry();

/** The kit's aggregate type. */
export const CONFORMANCE_AGGREGATE_TYPE = 'ConformanceItem';

/** An item was added (validated payload, schema version 1). */
export const ConformanceItemAdded = defineEvent('ConformanceItemAdded', {
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: itemAddedSchema,
  registry: eventStoreConformanceRegistry,
});

/** An item was removed (no schema). */
export const ConformanceItemRemoved = defineEvent<
  'ConformanceItemRemoved',
  { readonly label: string }
>('ConformanceItemRemoved', {
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  registry: eventStoreConformanceRegistry,
});

/** An item was renamed (schema version 2, no schema). */
export const ConformanceItemRenamed = defineEvent<
  'ConformanceItemRenamed',
  { readonly name: string }
>('ConformanceItemRenamed', {
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  eventVersion: 2,
  registry: eventStoreConformanceRegistry,
});

/** A second aggregate type, for stream isolation by type. */
export const ConformanceBinCreated = defineEvent<
  'ConformanceBinCreated',
  { readonly size: number }
>('ConformanceBinCreated', {
  aggregateType: 'ConformanceBin',
  registry: eventStoreConformanceRegistry,
});
