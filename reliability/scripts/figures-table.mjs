#!/usr/bin/env node
// Prints the figures of the last reliability runs (.results/figures.jsonl) as a Markdown table:
// the latest record per (test id, backend, tier). Usage: node scripts/figures-table.mjs [tier]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../.results/figures.jsonl', import.meta.url));
const tier = process.argv[2];
let lines;
try {
  lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
} catch {
  console.error(`No figures yet (${file}): run the tests first.`);
  process.exit(1);
}
const latest = new Map();
for (const line of lines) {
  const record = JSON.parse(line);
  if (tier !== undefined && record.tier !== tier) continue;
  latest.set(`${record.id}|${record.backend}|${record.tier}`, record);
}
const rows = [...latest.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
console.log(
  '| id | tier | backend | events | faults | lost | duplicated | silently skipped | dead-lettered | notes |',
);
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(
    `| ${r.id} | ${r.tier} | ${r.backend} | ${r.events} | ${r.faults} | ${r.lost} | ${r.duplicated} | ${r.skipped} | ${r.deadLettered ?? ''} | ${(r.notes ?? '').replace(/\|/g, '\\|')} |`,
  );
}
