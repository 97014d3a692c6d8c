import { describe, expect, it } from 'vitest';
import { renderChart } from '../src/lib/chart.mjs';
import {
  findShortfalls,
  PERFORMANCE_END,
  PERFORMANCE_START,
  renderPerformanceSection,
  replacePerformanceSection,
} from '../src/lib/report.mjs';
import { Results } from '../src/lib/results.mjs';
import { formatRatio, median, quantile, summarize } from '../src/lib/stats.mjs';
import { rotate } from '../src/lib/timed.mjs';

const sample = (impl, role, repeat, value, extra = {}) => ({
  section: 'postgres',
  group: 'postgres/append',
  title: 'append 1 event',
  unit: 'events/s',
  impl,
  role,
  repeat,
  value,
  ...extra,
});

describe('statistics', () => {
  it('takes the median of odd and even counts without mutating the input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('uses the nearest rank for quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('summarises finite values only', () => {
    expect(summarize([3, Number.NaN, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
  });

  it('formats ratios with precision that fits their size', () => {
    expect(formatRatio(0.8734)).toBe('0.87×');
    expect(formatRatio(0.0046)).toBe('0.0046×');
    expect(formatRatio(12.34)).toBe('12.3×');
  });
});

describe('rotate', () => {
  it('starts each run with a different implementation', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
    expect(rotate([], 3)).toEqual([]);
  });
});

describe('Results', () => {
  it('computes each ratio against the reference of the same run', () => {
    const results = new Results();
    // run 2 was slow for everyone: per-run ratios stay at 0.5
    results.add(sample('raw', 'reference', 1, 1000));
    results.add(sample('raw', 'reference', 2, 200));
    results.add(sample('raw', 'reference', 3, 1000));
    results.add(sample('@es', 'es', 1, 500));
    results.add(sample('@es', 'es', 2, 100));
    results.add(sample('@es', 'es', 3, 500));
    const [group] = results.summarize(['postgres']);
    const es = group.rows.find((r) => r.impl === '@es');
    expect(es.value).toEqual({ median: 500, min: 100, max: 500 });
    expect(es.ratio).toEqual({ median: 0.5, min: 0.5, max: 0.5 });
    expect(group.rows[0].role).toBe('reference');
  });

  it('leaves out runs the reference or the implementation lacks', () => {
    const results = new Results();
    results.add(sample('raw', 'reference', 1, 100));
    results.add(sample('@es', 'es', 1, 90));
    results.add(sample('@es', 'es', 2, 10)); // no reference in run 2
    const [group] = results.summarize(['postgres']);
    expect(group.rows.find((r) => r.impl === '@es').ratio.median).toBeCloseTo(0.9);
  });

  it('orders @es defaults before its variants and describes latency details', () => {
    const results = new Results();
    results.add(sample('raw', 'reference', 1, 100));
    results.add(sample('Emmett', 'peer', 1, 50));
    results.add(sample('@es (notify: false)', 'es', 1, 80));
    results.add(sample('@es', 'es', 1, 70, { details: { p50ms: 0.25, p99ms: 1.5 } }));
    const [group] = results.summarize(['postgres']);
    expect(group.rows.map((r) => r.impl)).toEqual(['raw', '@es', '@es (notify: false)', 'Emmett']);
    expect(group.rows[1].notes).toBe('p50 0.25 ms, p99 1.50 ms');
  });
});

describe('findShortfalls', () => {
  it('names @es rows below 0.9× of the reference or behind a peer', () => {
    const results = new Results();
    for (let run = 1; run <= 3; run++) {
      results.add(sample('raw', 'reference', run, 100));
      results.add(sample('@es', 'es', run, 85));
      results.add(sample('Emmett', 'peer', run, 95));
    }
    const [shortfall] = findShortfalls(results.summarize(['postgres']));
    expect(shortfall.impl).toBe('@es');
    expect(shortfall.reasons).toHaveLength(2);
    expect(shortfall.reasons[0]).toContain('0.85×');
    expect(shortfall.reasons[1]).toContain('behind Emmett');
  });

  it('is empty when @es is at or above 0.9× and ahead of every peer', () => {
    const results = new Results();
    results.add(sample('raw', 'reference', 1, 100));
    results.add(sample('@es', 'es', 1, 95));
    results.add(sample('Emmett', 'peer', 1, 40));
    expect(findShortfalls(results.summarize(['postgres']))).toEqual([]);
  });
});

describe('renderChart', () => {
  it('draws one bar per non-reference row and escapes labels', () => {
    const results = new Results();
    results.add(sample('raw', 'reference', 1, 100));
    results.add(sample('@es <fast> & "safe"', 'es', 1, 50));
    results.add(sample('Emmett', 'peer', 1, 200));
    const svg = renderChart(results.summarize(['postgres']), { title: 't', subtitle: 's' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('@es &lt;fast&gt; &amp; &quot;safe&quot;');
    expect(svg).not.toContain('<fast>');
    expect(svg.match(/<rect [^>]*opacity="0.85"/g)).toHaveLength(2);
    expect(svg).toContain('0.50×');
    expect(svg).toContain('2.00×');
  });
});

describe('renderPerformanceSection', () => {
  it('regenerates the table and keeps the text written after the marker', () => {
    const results = new Results();
    results.add(sample('raw', 'reference', 1, 100));
    results.add(sample('@es', 'es', 1, 90));
    const args = {
      meta: { date: '2026-01-01', config: { repeats: 3, resilience: { runs: 5 } } },
      machine: { cores: 2, cpu: 'CPU', virtualization: 'vm', ramGiB: 8, node: 'v20' },
      pg: null,
      groups: results.summarize(['postgres']),
      reportFile: 'r.md',
      chartFile: 'c.svg',
    };
    const first = renderPerformanceSection(args);
    const edited = `${first}\nHand-written analysis.\n`;
    const second = renderPerformanceSection({ ...args, previous: edited });
    expect(second).toContain('| append 1 event (events/s) | 100 | 90.0 | **0.90×** | — | — |');
    expect(second.endsWith('\nHand-written analysis.\n')).toBe(true);
    expect(second.split('Hand-written analysis.')).toHaveLength(2);
  });
});

describe('replacePerformanceSection', () => {
  const readme = [
    '# Title',
    '',
    `${PERFORMANCE_START} — regenerated -->`,
    '## Performance',
    'old table',
    PERFORMANCE_END,
    '',
    '## Next',
    '',
  ].join('\n');

  it('replaces only the text between the markers and hands the old text to the renderer', () => {
    let seen;
    const out = replacePerformanceSection(readme, (previous) => {
      seen = previous;
      return '## Performance\nnew table\n\n\n';
    });
    expect(seen).toBe('## Performance\nold table\n');
    expect(out).toBe(
      [
        '# Title',
        '',
        `${PERFORMANCE_START} — regenerated -->`,
        '## Performance',
        'new table',
        PERFORMANCE_END,
        '',
        '## Next',
        '',
      ].join('\n'),
    );
  });

  it('is idempotent when the renderer returns what is there', () => {
    expect(replacePerformanceSection(readme, (previous) => previous)).toBe(readme);
  });

  it('returns undefined without both markers in order', () => {
    expect(replacePerformanceSection('# no markers\n', () => 'x')).toBeUndefined();
    const swapped = `${PERFORMANCE_END}\n${PERFORMANCE_START} -->\n`;
    expect(replacePerformanceSection(swapped, () => 'x')).toBeUndefined();
  });
});
