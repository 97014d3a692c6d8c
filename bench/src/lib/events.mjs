// The events every implementation writes: the same payload everywhere (the one of
// research/peers-bench/payload.json: 206 bytes of order data plus correlation and causation ids),
// shaped the way each implementation expects it.

import { randomUUID } from 'node:crypto';
import { AggregateRepository, AggregateRoot, defineEvent, payload } from '@es/core';

/** The order data of every `OrderPlaced` event. */
export const ORDER = Object.freeze({
  orderId: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
  customerId: 'c-000123456',
  amount: 123.45,
  currency: 'EUR',
  items: [
    { sku: 'SKU-000123', qty: 2, price: 19.99 },
    { sku: 'SKU-000456', qty: 1, price: 83.47 },
  ],
});

/** The correlation metadata of every event. */
export const META = Object.freeze({
  correlationId: '0b6e3f0e-2a51-4f38-9c7a-5f2d7e1a9b10',
  causationId: '9d2c1b0a-8e7f-4a6b-b5c4-d3e2f1a0b9c8',
});

/** The line added by the aggregate case. */
export const LINE = Object.freeze({ sku: 'SKU-000789', qty: 1, price: 9.5 });

export const AGGREGATE_TYPE = 'Order';

// ---- @es ------------------------------------------------------------------------------------

/** `OrderPlaced` as an @es event definition (registered in the default registry). */
export const OrderPlaced = defineEvent('OrderPlaced', {
  aggregateType: AGGREGATE_TYPE,
  payload: payload(),
});

/** `OrderLineAdded` as an @es event definition. */
export const OrderLineAdded = defineEvent('OrderLineAdded', {
  aggregateType: AGGREGATE_TYPE,
  payload: payload(),
});

/** `n` @es events for `aggregateId`, versions `from + 1 …`. */
export function esEvents(aggregateId, from, n) {
  const events = new Array(n);
  for (let i = 0; i < n; i++) {
    events[i] = OrderPlaced.create({
      aggregateId,
      aggregateVersion: from + i + 1,
      correlationId: META.correlationId,
      causationId: META.causationId,
      ...ORDER,
    });
  }
  return events;
}

/** The order aggregate of the "load + save" case: state is the number of lines and the total. */
export class Order extends AggregateRoot {
  static aggregateType = AGGREGATE_TYPE;

  place() {
    this.raiseEvent(OrderPlaced, { ...ORDER, ...META });
  }

  addLine(line) {
    if (this.state === undefined) throw new Error(`order ${this.aggregateId} does not exist`);
    this.raiseEvent(OrderLineAdded, { ...line, ...META });
  }

  apply(event) {
    this.state = evolveOrder(this.state ?? { lines: 0, total: 0 }, event.eventType, event);
  }
}

/** `new AggregateRepository` for {@link Order}. */
export function orderRepository(eventStore) {
  return new AggregateRepository({
    eventStore,
    aggregateFactory: Order,
    aggregateType: AGGREGATE_TYPE,
  });
}

/** The one fold every implementation of the aggregate case uses. */
export function evolveOrder(state, type, data) {
  if (type === 'OrderPlaced') return { lines: data.items.length, total: data.amount };
  if (type === 'OrderLineAdded') {
    return { lines: state.lines + 1, total: state.total + data.qty * data.price };
  }
  return state;
}

// ---- raw (hand-written) ---------------------------------------------------------------------

/**
 * The stored document of one event as the raw implementations write it: the same envelope fields
 * and payload an @es event serializes to, built by hand without validation or freezing.
 */
export function rawEventDocument(aggregateId, version, type = 'OrderPlaced', data = ORDER) {
  return {
    eventId: randomUUID(),
    eventType: type,
    eventVersion: 1,
    occurredAt: new Date().toISOString(),
    aggregateId,
    aggregateType: AGGREGATE_TYPE,
    aggregateVersion: version,
    correlationId: META.correlationId,
    causationId: META.causationId,
    metadata: {},
    ...data,
  };
}

// ---- Emmett ---------------------------------------------------------------------------------

/** `n` Emmett events. */
export function emmettEvents(n, type = 'OrderPlaced', data = ORDER) {
  const events = new Array(n);
  for (let i = 0; i < n; i++) events[i] = { type, data, metadata: { ...META } };
  return events;
}
