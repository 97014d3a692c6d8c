// The two run modes. Quick mode runs every case with small sizes and short windows (a smoke run that
// finishes in well under 2 minutes); full mode is what the published tables come from (< 30 minutes
// on 2 cores).

/** @typedef {ReturnType<typeof modeConfig>} BenchConfig */

export function modeConfig(quick) {
  return quick
    ? {
        mode: 'quick',
        repeats: 3,
        // time-boxed PostgreSQL cases: warm-up, then the measured window, per implementation per repeat
        warmupMs: 60,
        measureMs: 200,
        checkpointBeforeWrites: false,
        resilience: { runs: 3, minBatchMs: 12, warmupBatches: 2, batches: 5, warmupCalls: 20_000 },
        memory: {
          appendEvents: 10_000,
          readStreams: 20,
          readRounds: 300,
          catchupEvents: 20_000,
          queryWindowMs: 100,
        },
        catchupSizes: [1_000, 3_000],
        emmettCatchupCapMs: 1_500,
        longStreamEvents: 10_000,
        aggregateStreams: 50,
        dlqSizes: [1_000, 5_000],
        dlqAdds: 2_000,
        dlqQueryCalls: 40,
        redriveEntries: { memory: 2_000, postgres: 150 },
      }
    : {
        mode: 'full',
        repeats: 3,
        warmupMs: 1_000,
        measureMs: 3_000,
        checkpointBeforeWrites: true,
        resilience: { runs: 5, minBatchMs: 200, warmupBatches: 3, batches: 7, warmupCalls: 50_000 },
        memory: {
          appendEvents: 200_000,
          readStreams: 100,
          readRounds: 300,
          catchupEvents: 100_000,
          queryWindowMs: 1_000,
        },
        catchupSizes: [10_000, 100_000],
        emmettCatchupCapMs: 20_000,
        longStreamEvents: 10_000,
        aggregateStreams: 200,
        dlqSizes: [10_000, 100_000],
        dlqAdds: 20_000,
        dlqQueryCalls: 300,
        redriveEntries: { memory: 20_000, postgres: 2_000 },
      };
}
