// Collects the samples the workers send and turns them into groups of rows with medians, ranges and
// ratios to the group's reference.
//
// Ratio convention everywhere: implementation throughput ÷ reference throughput, computed per
// repeat (against the reference's value of the same repeat, which ran in the same window) and then
// summarised as median and min–max. 1.00× = as fast as the reference; 0.50× = half its throughput
// (twice its time per call); higher is better.

import { median, summarize } from './stats.mjs';

export class Results {
  /** groupId → group */
  groups = new Map();
  failures = [];
  info = {};

  add(sample) {
    let group = this.groups.get(sample.group);
    if (group === undefined) {
      group = {
        id: sample.group,
        section: sample.section,
        title: sample.title,
        variant: sample.variant ?? null,
        unit: sample.unit,
        impls: new Map(),
      };
      this.groups.set(sample.group, group);
    }
    let impl = group.impls.get(sample.impl);
    if (impl === undefined) {
      impl = { name: sample.impl, role: sample.role, samples: [], details: [] };
      group.impls.set(sample.impl, impl);
    }
    impl.samples[sample.repeat - 1] = sample.value;
    impl.details[sample.repeat - 1] = sample.details ?? {};
  }

  fail(failure) {
    this.failures.push(failure);
  }

  /** Groups with summaries, in first-seen order within each section of `sectionOrder`. */
  summarize(sectionOrder) {
    const out = [];
    for (const section of sectionOrder) {
      for (const group of this.groups.values()) {
        if (group.section !== section) continue;
        out.push(summarizeGroup(group));
      }
    }
    return out;
  }
}

const ROLE_ORDER = { reference: 0, es: 1, peer: 2 };

function summarizeGroup(group) {
  // reference first, then @es (its default configuration first), then peers; stable by name
  const rank = (impl) => (/\(defaults\)|^[^(]*$/.test(impl.name) ? 0 : 1);
  const impls = [...group.impls.values()].sort(
    (a, b) =>
      ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
      rank(a) - rank(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const reference = impls.find((i) => i.role === 'reference');
  const rows = impls.map((impl) => {
    const values = impl.samples.filter((v) => v !== undefined);
    const ratios = [];
    if (reference !== undefined) {
      impl.samples.forEach((value, r) => {
        const ref = reference.samples[r];
        if (value !== undefined && ref !== undefined && ref > 0) ratios.push(value / ref);
      });
    }
    return {
      impl: impl.name,
      role: impl.role,
      samples: impl.samples,
      details: impl.details,
      value: summarize(values),
      ratio: reference === undefined || ratios.length === 0 ? null : summarize(ratios),
      notes: describeDetails(group, impl),
    };
  });
  return {
    id: group.id,
    section: group.section,
    title: group.title,
    variant: group.variant,
    unit: group.unit,
    reference: reference?.name ?? null,
    rows,
  };
}

/** A short text of the per-run details (latency, conflicts, caps), medians over the runs. */
function describeDetails(group, impl) {
  const details = impl.details.filter((d) => d !== undefined);
  if (details.length === 0) return '';
  const pick = (key) => details.map((d) => d[key]).filter((v) => typeof v === 'number');
  const parts = [];
  const p50 = pick('p50ms');
  const p99 = pick('p99ms');
  if (p50.length > 0) parts.push(`p50 ${fmtMs(median(p50))}, p99 ${fmtMs(median(p99))}`);
  const ns = pick('nsPerCall');
  if (ns.length > 0) parts.push(`${Math.round(median(ns))} ns/call`);
  const conflicts = pick('conflictRate');
  if (conflicts.length > 0) {
    parts.push(`${Math.round(median(conflicts) * 100)} % of attempts conflicted`);
  }
  const capped = details.map((d) => d.capped).filter((v) => typeof v === 'string');
  if (capped.length > 0) parts.push(`time-capped: ${capped.join('; ')}`);
  const outcome = details.map((d) => d.outcome).filter((v) => typeof v === 'string');
  if (outcome.length > 0) parts.push(outcome[outcome.length - 1]);
  void group;
  return parts.join('; ');
}

function fmtMs(ms) {
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
