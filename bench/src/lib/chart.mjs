// A dependency-free SVG chart of the ratios: one horizontal bar per (case, implementation), drawn
// from 1.0× (the reference) to the median ratio on a log scale, with a whisker for the min–max of the
// per-run ratios. Bars left of 1.0× are slower than the reference, right of it faster.

const COLORS = { es: '#2563eb', peer: '#ea580c' };
const SECTION_TITLES = {
  resilience: 'Resilience overhead (reference: bare await)',
  memory: 'In memory (reference: hand-written code)',
  postgres: 'PostgreSQL (reference: raw postgres.js)',
  dlq: 'Dead-letter queue (reference: hand-written Map / raw postgres.js)',
};

const esc = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

function clip(text, max) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function ticksFor(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const t = m * 10 ** e;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  }
  const decades = Math.log10(hi / lo);
  if (decades <= 2) return ticks;
  // many decades: powers of ten, plus 0.5× and 2× around the reference
  return ticks.filter((t) => t.toExponential().startsWith('1e') || t === 0.5 || t === 2);
}

function tickLabel(t) {
  if (t >= 1) return `${t}×`;
  return `${Number(t.toPrecision(1))}×`;
}

/**
 * @param {ReturnType<import('./results.mjs').Results['summarize']>} groups
 * @param {{ title: string, subtitle: string }} meta
 */
export function renderChart(groups, meta) {
  const lines = []; // { kind: 'section'|'group'|'bar', ... }
  let lastSection = null;
  let lo = 0.5;
  let hi = 2;
  for (const group of groups) {
    const bars = group.rows.filter((r) => r.role !== 'reference' && r.ratio !== null);
    if (bars.length === 0) continue;
    if (group.section !== lastSection) {
      lines.push({ kind: 'section', text: SECTION_TITLES[group.section] ?? group.section });
      lastSection = group.section;
    }
    lines.push({
      kind: 'group',
      text: `${group.title}${group.variant && group.variant !== 'synchronous_commit=on' ? ` — ${group.variant}` : ''}`,
    });
    for (const row of bars) {
      lines.push({ kind: 'bar', text: row.impl, role: row.role, ratio: row.ratio });
      lo = Math.min(lo, row.ratio.min, row.ratio.median);
      hi = Math.max(hi, row.ratio.max, row.ratio.median);
    }
  }
  lo = 10 ** Math.floor(Math.log10(lo));
  hi = Math.min(10 ** Math.ceil(Math.log10(hi)), 100);

  const width = 1200;
  const labelWidth = 600;
  const x0 = labelWidth + 20;
  const x1 = width - 70;
  const top = 74;
  const rowH = 17;
  const height = top + lines.length * rowH + 40;
  const x = (r) =>
    x0 +
    ((Math.log10(Math.min(Math.max(r, lo), hi)) - Math.log10(lo)) / Math.log10(hi / lo)) *
      (x1 - x0);

  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="12" y="20" font-size="15" font-weight="600">${esc(meta.title)}</text>`);
  out.push(`<text x="12" y="38" fill="#475569">${esc(meta.subtitle)}</text>`);
  // legend
  out.push(
    `<rect x="12" y="48" width="12" height="10" fill="${COLORS.es}"/><text x="28" y="57">@es</text>`,
  );
  out.push(
    `<rect x="64" y="48" width="12" height="10" fill="${COLORS.peer}"/><text x="80" y="57">peer library</text>`,
  );
  out.push(
    `<line x1="160" y1="53" x2="190" y2="53" stroke="#334155"/><text x="196" y="57">min–max of the per-run ratios</text>`,
  );
  out.push(
    `<text x="${x0}" y="57" fill="#475569">ratio to the reference (log scale; higher is better, 1× = as fast as the reference)</text>`,
  );
  // grid
  const gridBottom = top + lines.length * rowH;
  for (const t of ticksFor(lo, hi)) {
    const tx = x(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${gridBottom}" stroke="#e2e8f0"/>`);
    out.push(
      `<text x="${tx}" y="${gridBottom + 14}" text-anchor="middle" fill="#475569">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${x(0.9).toFixed(1)}" y1="${top - 6}" x2="${x(0.9).toFixed(1)}" y2="${gridBottom}" stroke="#dc2626" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<text x="${(x(0.9) - 3).toFixed(1)}" y="${top - 9}" text-anchor="end" fill="#dc2626">0.9×</text>`,
  );
  out.push(
    `<line x1="${x(1).toFixed(1)}" y1="${top - 6}" x2="${x(1).toFixed(1)}" y2="${gridBottom}" stroke="#0f172a"/>`,
  );
  lines.forEach((line, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    if (line.kind === 'section') {
      out.push(`<rect x="0" y="${y}" width="${width}" height="${rowH}" fill="#f1f5f9"/>`);
      out.push(
        `<text x="12" y="${mid + 4}" font-weight="700" font-size="12">${esc(line.text)}</text>`,
      );
      return;
    }
    if (line.kind === 'group') {
      out.push(
        `<text x="12" y="${mid + 4}" font-weight="600" fill="#1e293b">${esc(clip(line.text, 100))}</text>`,
      );
      return;
    }
    out.push(`<text x="28" y="${mid + 4}" fill="#334155">${esc(clip(line.text, 95))}</text>`);
    const { median, min, max } = line.ratio;
    const a = x(1);
    const b = x(median);
    out.push(
      `<rect x="${Math.min(a, b).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(b - a)).toFixed(1)}" height="${rowH - 6}" fill="${COLORS[line.role] ?? '#64748b'}" opacity="0.85"><title>${esc(`${line.text}: ${median.toPrecision(3)}× (${min.toPrecision(3)}–${max.toPrecision(3)})`)}</title></rect>`,
    );
    out.push(
      `<line x1="${x(min).toFixed(1)}" y1="${mid}" x2="${x(max).toFixed(1)}" y2="${mid}" stroke="#334155"/>`,
      `<line x1="${x(min).toFixed(1)}" y1="${mid - 3}" x2="${x(min).toFixed(1)}" y2="${mid + 3}" stroke="#334155"/>`,
      `<line x1="${x(max).toFixed(1)}" y1="${mid - 3}" x2="${x(max).toFixed(1)}" y2="${mid + 3}" stroke="#334155"/>`,
    );
    const label =
      median >= 10
        ? `${median.toFixed(1)}×`
        : median >= 0.1
          ? `${median.toFixed(2)}×`
          : `${median.toPrecision(2)}×`;
    const lx = Math.max(a, b, x(max)) + 4;
    out.push(`<text x="${lx.toFixed(1)}" y="${mid + 4}" fill="#0f172a">${label}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
