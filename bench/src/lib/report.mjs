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
    `| load average (1/5/15 min) | start ${machine.loadAverageAtStart.join(' / ')}, end ${meta.loadAverageAtEnd.join(' / ')} |`,
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
