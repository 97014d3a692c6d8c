import { InMemoryDLQRepository } from './in-memory-dlq-repository.js';
import { describeDLQRepositoryConformance } from './testing/describe-dlq-repository-conformance.js';
import { createManualClock } from './testing/manual-clock.js';

describeDLQRepositoryConformance('InMemoryDLQRepository (controlled clock)', async () => {
  const clock = createManualClock();
  return { repo: new InMemoryDLQRepository({ clock: clock.now }), clock };
});

describeDLQRepositoryConformance('InMemoryDLQRepository (real clock)', async () => ({
  repo: new InMemoryDLQRepository(),
}));
