import { InMemoryDLQRepository } from './in-memory-dlq-repository.js';
import { describeDLQRepositoryConformance } from './testing/describe-dlq-repository-conformance.js';
import { createManualClock } from './testing/manual-clock.js';

describeDLQRepositoryConformance('InMemoryDLQRepository (controlled clock)', async () => {
  const clock = createManualClock();
  // One repository per test: the limited one is a fresh, empty store on the same clock.
  return {
    repo: new InMemoryDLQRepository({ clock: clock.now }),
    clock,
    withLimits: (limits) => new InMemoryDLQRepository({ clock: clock.now, ...limits }),
  };
});

describeDLQRepositoryConformance('InMemoryDLQRepository (real clock)', async () => ({
  repo: new InMemoryDLQRepository(),
}));
