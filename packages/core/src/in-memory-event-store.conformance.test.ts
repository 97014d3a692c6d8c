import { InMemoryEventBus } from './in-memory-event-bus.js';
import { InMemoryEventStore } from './in-memory-event-store.js';
import { describeEventStoreConformance } from './testing.js';

describeEventStoreConformance('InMemoryEventStore', () => ({ store: new InMemoryEventStore() }));

describeEventStoreConformance(
  'InMemoryEventStore with registry round trip and bus',
  ({ registry }) => {
    const eventBus = new InMemoryEventBus();
    return {
      store: new InMemoryEventStore({ registry, eventBus }),
      cleanup: () => eventBus.clear(),
    };
  },
);
