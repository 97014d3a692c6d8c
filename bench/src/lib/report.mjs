// The Markdown report: machine facts, versions, then one table per section with medians, min–max,
// ratios to the reference, and the list of rows where @es is behind.

import { formatDuration, formatNumber, formatRatio } from './stats.mjs';

const SECTIONS = [
  {
    id: 'postgres',
    title: 'PostgreSQL',
    intro:
      'Reference: raw postgres.js running the minimal equivalent SQL on tables created `LIKE` the @es ones (same columns, constraints and indexes). ' +
      'Each run is a time box (warm-up, then the measured window); implementations are interleaved run by run in a rotated order.',
  },
  {
    id: 'memory',
    title: 'In memory',
    intro:
      'Reference: hand-written code doing the same bookkeeping without validation, freezing or options (the floor for a JavaScript implementation). One process per case and implementation.',
  },
  {
    id: 'dlq',
    title: 'Dead-letter queue',
    intro:
      'Reference: a hand-written Map (in memory) or raw postgres.js running the equivalent SQL on a table created `LIKE` `es.dead_letter_queue`.',
  },
  {
    id: 'resilience',
    title: 'Resilience overhead per call',
    intro:
      'Reference: a bare `await fn()` of the same `async () => 1`. One fresh process per case and run, calibrated batches, median batch rate; runs rotate the case order.',
  },
];

export const SECTION_ORDER = SECTIONS.map((s) => s.id);

function cell(text) {
  return String(text).replace(/\|/g, '\\|');
}

function valueCell(row) {
  return formatNumber(row.value.median);
}

function rangeCell(row) {
  return `${formatNumber(row.value.min)}–${formatNumber(row.value.max)}`;
}

function ratioCell(row) {
  if (row.role === 'reference') return '1 (reference)';
  if (row.ratio === null) return '—';
  return `**${formatRatio(row.ratio.median)}** (${formatRatio(row.ratio.min)}–${formatRatio(row.ratio.max)})`;
}

/** The table of one section, as Markdown lines. */
export function sectionTable(groups, sectionId, { withNotes = true } = {}) {
  const lines = [];
  const head = withNotes
    ? '| case | implementation | median | min–max | ratio to reference | notes |'
    : '| case | implementation | median | min–max | ratio to reference |';
  lines.push(head);
  lines.push(withNotes ? '|---|---|--:|--:|--:|---|' : '|---|---|--:|--:|--:|');
  for (const group of groups.filter((g) => g.section === sectionId)) {
    const variant =
      group.variant && group.variant !== 'synchronous_commit=on' ? ` *(${group.variant})*` : '';
    let overheadBase = null;
    if (sectionId === 'resilience') {
      const ref = group.rows.find((r) => r.role === 'reference');
      overheadBase = ref ? 1e9 / ref.value.median : null;
    }
    group.rows.forEach((row, i) => {
      const caseCell = i === 0 ? `${cell(group.title)}${variant} (${group.unit})` : '';
      let notes = row.notes;
      if (overheadBase !== null && row.role !== 'reference') {
        const overhead = 1e9 / row.value.median - overheadBase;
        notes = `${notes}; +${Math.round(overhead)} ns over bare`;
      }
      const cols = [caseCell, cell(row.impl), valueCell(row), rangeCell(row), ratioCell(row)];
      if (withNotes) cols.push(cell(notes));
      lines.push(`| ${cols.join(' | ')} |`);
    });
  }
  return lines;
}

/** Rows where @es is below 0.9× its reference or behind a peer of the same case. */
export function findShortfalls(groups) {
  const out = [];
  for (const group of groups) {
    const peers = group.rows.filter((r) => r.role === 'peer');
    for (const row of group.rows.filter((r) => r.role === 'es')) {
      const reasons = [];
      if (row.ratio !== null && row.ratio.median < 0.9) {
        reasons.push(`${formatRatio(row.ratio.median)} of the reference`);
      }
      for (const peer of peers) {
        if (peer.value.median > row.value.median) {
          reasons.push(
            `behind ${peer.impl} (${formatNumber(row.value.median)} vs ${formatNumber(peer.value.median)} ${group.unit})`,
          );
        }
      }
      if (reasons.length > 0) {
        out.push({
          group: group.id,
          title: group.title,
          variant: group.variant,
          impl: row.impl,
          reasons,
        });
      }
    }
  }
  return out;
}

/** The whole report. */
export function renderReport({ meta, machine, pg, versions, groups, failures, chartFile }) {
  const L = [];
  L.push(`# @es benchmark — ${meta.date} (${meta.mode} mode)`);
  L.push('');
  L.push(
    `Command: \`${meta.command}\` · started ${meta.started} · took ${formatDuration(meta.durationMs)} · ` +
      `${meta.config.repeats} repeats per case${meta.mode === 'quick' ? ' · **quick mode: small sizes and short windows, a smoke run; publish full-mode numbers only**' : ''}`,
  );
  L.push('');
  L.push(
    'Every figure is the **median of the repeats, with the min–max range**. Ratios are throughput ÷ the reference’s throughput, taken per run against the reference of the same run, then summarised: **1.00× = as fast as the reference, higher is better**. ' +
      'The numbers come from one machine in one window; compare ratios, not absolute values, across machines.',
  );
  L.push('');
  L.push(`![ratios](${chartFile})`);
  L.push('');
  L.push('## Machine');
  L.push('');
  L.push('| item | value |');
  L.push('|---|---|');
  L.push(`| CPU | ${cell(machine.cpu)} × ${machine.cores} (${machine.virtualization}) |`);
  L.push(`| RAM | ${machine.ramGiB} GiB |`);
  L.push(`| OS | ${cell(machine.os)} |`);
  L.push(`| Node | ${machine.node} |`);
  L.push(
    `| load average (1/5/15 min) | start ${machine.loadAverageAtStart.join(' / ')}, end ${meta.loadAverageAtEnd.join(' / ')}` +
      `${meta.loadDuringRun ? `; 1-min load during the run: median ${meta.loadDuringRun.median.toFixed(1)}, max ${meta.loadDuringRun.max.toFixed(1)} (sampled every 5 s, this run included)` : ''} |`,
  );
  if (pg !== null) {
    L.push(`| PostgreSQL | ${cell(pg.version)} on ${pg.serverAddress} (same host) |`);
    L.push(
      `| PostgreSQL settings | ${Object.entries(pg.settings)
        .filter(([k]) => k !== 'server_version')
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} |`,
    );
    L.push(
      '| synchronous_commit=off rows | set per session (postgres.js `connection: { synchronous_commit: "off" }`; node-postgres `options=-c synchronous_commit=off`), checked with `SHOW` before measuring; never server-wide |',
    );
    L.push(`| database | a fresh \`${meta.database}\`, dropped at the end |`);
  }
  L.push('');
  L.push('## Versions');
  L.push('');
  L.push('| package | version |');
  L.push('|---|---|');
  for (const [name, version] of Object.entries(versions.es)) L.push(`| ${name} | ${version} |`);
  L.push(
    `| @es git commit | ${versions.git.commit ?? 'unknown'}${versions.git.dirty ? ' (packages/ has uncommitted changes)' : ''} |`,
  );
  for (const [name, version] of Object.entries(versions.peers)) L.push(`| ${name} | ${version} |`);
  L.push('');

  const shortfalls = findShortfalls(groups);
  L.push('## Where @es is behind');
  L.push('');
  if (shortfalls.length === 0) {
    L.push('Nowhere: every @es row is at or above 0.9× its reference and ahead of every peer.');
  } else {
    L.push('Rows where @es is below 0.9× of its reference, or behind a peer in the same case:');
    L.push('');
    for (const s of shortfalls) {
      const variant = s.variant && s.variant !== 'synchronous_commit=on' ? ` (${s.variant})` : '';
      L.push(`- **${s.title}**${variant} — ${s.impl}: ${s.reasons.join('; ')}`);
    }
  }
  L.push('');

  for (const section of SECTIONS) {
    if (!groups.some((g) => g.section === section.id)) continue;
    L.push(`## ${section.title}`);
    L.push('');
    L.push(section.intro);
    L.push('');
    L.push(...sectionTable(groups, section.id));
    L.push('');
  }

  if (meta.notes.length > 0) {
    L.push('## Notes');
    L.push('');
    for (const note of meta.notes) L.push(`- ${note}`);
    L.push('');
  }
  if (failures.length > 0) {
    L.push('## Failures');
    L.push('');
    L.push('These cases crashed (the run exits with code 1):');
    L.push('');
    for (const f of failures) L.push(`- \`${f.group}\` › ${f.impl}: ${cell(f.message)}`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

/**
 * One line per case: the reference, the default @es row and the first peer, with their ratios.
 * This is the table of the README's "Performance" section.
 */
export function compactTable(groups) {
  const L = [];
  L.push('| case | reference | @es | @es ratio | peer | peer ratio |');
  L.push('|---|--:|--:|--:|--:|--:|');
  let section = null;
  const titles = {
    postgres: 'PostgreSQL',
    memory: 'In memory',
    dlq: 'Dead-letter queue',
    resilience: 'Resilience (per call, vs bare `await`)',
  };
  for (const group of groups) {
    const ref = group.rows.find((r) => r.role === 'reference');
    const es = group.rows.find((r) => r.role === 'es');
    const peer = group.rows.find((r) => r.role === 'peer');
    if (ref === undefined || es === undefined) continue;
    if (group.section !== section) {
      section = group.section;
      L.push(`| **${titles[section] ?? section}** | | | | | |`);
    }
    const variant =
      group.variant && group.variant !== 'synchronous_commit=on' ? `, ${group.variant}` : '';
    const r = (row) => (row?.ratio ? formatRatio(row.ratio.median) : '—');
    if (group.section === 'resilience') {
      // one line per wrapper: @es rows fill the @es columns, peers the peer columns
      for (const row of group.rows.filter((x) => x.role !== 'reference')) {
        const es = row.role === 'es';
        const ns = `${formatNumber(1e9 / row.value.median)} ns`;
        L.push(
          `| ${cell(row.impl)} (ns/call) | ${formatNumber(1e9 / ref.value.median)} ns | ${es ? ns : ''} | ${es ? `**${r(row)}**` : ''} | ${es ? '' : ns} | ${es ? '' : r(row)} |`,
        );
      }
      continue;
    }
    L.push(
      `| ${cell(group.title)}${variant} (${group.unit}) | ${formatNumber(ref.value.median)} | ${formatNumber(es.value.median)} | **${r(es)}** | ${peer ? `${formatNumber(peer.value.median)} (${cell(shortName(peer.impl))})` : '—'} | ${peer ? r(peer) : '—'} |`,
    );
  }
  return L;
}

function shortName(impl) {
  return impl.replace(/ \(emmett-postgresql\)/, '').replace(/, consumer \+ reactor/, '');
}

const KEEP_MARKER =
  '<!-- Text below this line is kept when `pnpm bench` regenerates the table above. -->';

/** The README "Performance" section, keeping hand-written text after the marker of `previous`. */
export function renderPerformanceSection({
  meta,
  machine,
  pg,
  groups,
  reportFile,
  chartFile,
  previous,
}) {
  const kept = previous?.includes(KEEP_MARKER) ? previous.split(KEEP_MARKER)[1] : '\n';
  const L = [];
  L.push('## Performance');
  L.push('');
  L.push(
    `Measured with \`pnpm bench\` (full mode) on ${meta.date}: ${machine.cores}× ${machine.cpu} (${machine.virtualization}), ${machine.ramGiB} GiB, Node ${machine.node}` +
      `${pg ? `, PostgreSQL ${pg.settings.server_version} on the same host (fsync on, shared_buffers ${pg.settings.shared_buffers})` : ''}. ` +
      `Medians of ${meta.config.repeats} runs (resilience: ${meta.config.resilience.runs}); each ratio is throughput ÷ the reference's throughput in the same run — **1.00× = as fast as the reference, higher is better**. ` +
      'References: raw postgres.js running the equivalent SQL on identical tables, hand-written in-memory code, a bare `await`. Peers: Emmett 0.42 (PostgreSQL and in-memory event stores), cockatiel 3.2, opossum 9, p-retry 7.',
  );
  L.push('');
  L.push(`![Ratios of @es and its peers to the reference, per case](${chartFile})`);
  L.push('');
  L.push(...compactTable(groups));
  L.push('');
  L.push(
    `Full report with min–max ranges, latencies, machine facts and versions: [\`${reportFile}\`](${reportFile}); chart: [\`${chartFile}\`](${chartFile}). ` +
      'Reproduce with `pnpm bench` (about 20 minutes on 2 cores; `pnpm bench --quick` is a < 2-minute smoke run whose numbers are not for publishing). See `bench/README.md` for what each case does.',
  );
  L.push('');
  L.push(KEEP_MARKER);
  return `${L.join('\n')}${kept}`;
}

/** The opening marker of the root README's Performance section (the rest of its line is free text). */
export const PERFORMANCE_START = '<!-- bench:performance:start';
/** The closing marker of the root README's Performance section. */
export const PERFORMANCE_END = '<!-- bench:performance:end -->';

/**
 * Replaces the text between the Performance markers of `readme` with `render(previous)`, where
 * `previous` is the text there now (so the section can keep its hand-written part). Returns
 * undefined when the markers are missing or out of order; the markers themselves are kept.
 */
export function replacePerformanceSection(readme, render) {
  const start = readme.indexOf(PERFORMANCE_START);
  const end = readme.indexOf(PERFORMANCE_END);
  if (start < 0 || end < start) return undefined;
  const lineEnd = readme.indexOf('\n', start);
  if (lineEnd < 0 || lineEnd > end) return undefined;
  const body = render(readme.slice(lineEnd + 1, end));
  return `${readme.slice(0, lineEnd + 1)}${body.replace(/\n*$/, '\n')}${readme.slice(end)}`;
}
