// Machine facts and versions for the report: what ran, where, against what.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Reads `name`'s package.json from the node_modules chain above `fromDir` (exports maps ignored). */
function findPackageVersion(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return JSON.parse(readFileSync(candidate, 'utf8')).version;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The directory of an installed package (symlinks resolved), to look up its own dependencies. */
function packageDir(name, fromDir) {
  const link = path.join(fromDir, 'node_modules', name);
  return existsSync(link) ? realpathSync(link) : fromDir;
}

/** Versions of everything compared, read from the installed packages. */
export function versions(benchDir, repoDir) {
  const direct = [
    'postgres',
    'pg',
    'drizzle-orm',
    '@event-driven-io/emmett',
    '@event-driven-io/emmett-postgresql',
    '@event-driven-io/pongo',
    'cockatiel',
    'opossum',
    'p-retry',
  ];
  const result = {};
  for (const name of direct) result[name] = findPackageVersion(name, benchDir);
  // transitive: Emmett's SQL layer
  result['@event-driven-io/dumbo (via emmett-postgresql)'] = findPackageVersion(
    '@event-driven-io/dumbo',
    packageDir('@event-driven-io/emmett-postgresql', benchDir),
  );
  const ours = {};
  for (const name of ['core', 'resilience', 'dlq', 'subscriptions', 'store-postgres']) {
    const file = path.join(repoDir, 'packages', name, 'package.json');
    ours[`@es/${name}`] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : null;
  }
  let commit = null;
  let dirty = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoDir,
      encoding: 'utf8',
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'packages'], {
      cwd: repoDir,
      encoding: 'utf8',
    });
    dirty = status.trim().length > 0;
  } catch {
    // not a git checkout: leave unknown
  }
  return { peers: result, es: ours, git: { commit, dirty }, node: process.version };
}

function osName() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text);
    if (m) return `${m[1]}, ${os.type()} ${os.release()}`;
  } catch {
    // not Linux
  }
  return `${os.type()} ${os.release()}`;
}

function virtualization() {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    return /^flags\s*:.*\bhypervisor\b/m.test(text)
      ? 'virtual machine (hypervisor flag set)'
      : 'bare metal';
  } catch {
    return 'unknown';
  }
}

/** CPU, cores, RAM, OS and load. */
export function machineFacts() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    virtualization: virtualization(),
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** PostgreSQL version and the settings that matter for these numbers. */
export async function postgresFacts(sql) {
  const [{ version }] = await sql`SELECT version()`;
  const names = [
    'server_version',
    'fsync',
    'synchronous_commit',
    'full_page_writes',
    'wal_sync_method',
    'shared_buffers',
    'wal_buffers',
    'max_wal_size',
    'checkpoint_timeout',
    'commit_delay',
    'work_mem',
    'max_connections',
    'wal_level',
    'jit',
  ];
  const rows = await sql`SELECT name, setting, unit FROM pg_settings WHERE name IN ${sql(names)}`;
  const settings = {};
  for (const name of names) {
    const row = rows.find((r) => r.name === name);
    if (row === undefined) continue;
    settings[name] = formatSetting(row);
  }
  const [{ addr }] = await sql`SELECT coalesce(inet_server_addr()::text, 'unix socket') AS addr`;
  return { version, settings, serverAddress: addr };
}

function formatSetting({ setting, unit }) {
  if (unit === '8kB') return humanBytes(Number(setting) * 8192);
  if (unit === 'kB') return humanBytes(Number(setting) * 1024);
  if (unit === 'MB') return humanBytes(Number(setting) * 2 ** 20);
  if (unit === 's') return `${setting} s`;
  if (unit === 'ms') return `${setting} ms`;
  return unit ? `${setting} ${unit}` : setting;
}

function humanBytes(bytes) {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MB`;
  return `${Math.round(bytes / 1024)} kB`;
}
