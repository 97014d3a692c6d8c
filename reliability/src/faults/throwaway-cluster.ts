/**
 * A PostgreSQL cluster of a test's own — initdb on a free loopback port, crash it with
 * `pg_ctl stop -m immediate`, restart it — so database crash tests never touch the shared server.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Options of {@link ThrowawayCluster.create}. */
export interface ThrowawayClusterOptions {
  /** Directory of `initdb` and `pg_ctl`. Default: `PG_BIN`, else the newest `/usr/lib/postgresql/<v>/bin`. */
  readonly binDir?: string;
  /** Extra server settings (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Where to create the cluster directory; default `/tmp`. */
  readonly parentDir?: string;
}

/** Finds the PostgreSQL binaries: `PG_BIN`, else the newest `/usr/lib/postgresql/<v>/bin`. */
export function findPostgresBinDir(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv !== undefined && existsSync(path.join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      'ThrowawayCluster: no PostgreSQL binaries found (set PG_BIN to the directory of initdb and pg_ctl)',
    );
  }
  return path.join(root, newest, 'bin');
}

/** A free TCP port on 127.0.0.1 (asked from the OS). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface RunAs {
  readonly command: string;
  readonly prefix: readonly string[];
  readonly owner: { uid: number; gid: number } | undefined;
}

/** `initdb` refuses to run as root: as root, everything runs as `postgres` via `runuser`. */
async function resolveRunAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return { command: '', prefix: [], owner: undefined };
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return {
    command: 'runuser',
    prefix: ['-u', 'postgres', '--'],
    owner: { uid: Number(uid.trim()), gid: Number(gid.trim()) },
  };
}

/**
 * A throwaway PostgreSQL cluster on `127.0.0.1:<free port>`, trust authentication, user
 * `postgres`, in a directory under `/tmp` owned by the user the server runs as.
 *
 * @example
 * ```ts
 * const cluster = await ThrowawayCluster.create();
 * await cluster.start();
 * const sql = postgres(cluster.url());
 * await cluster.crash();   // pg_ctl stop -m immediate
 * await cluster.start();   // crash recovery
 * await cluster.destroy();
 * ```
 */
export class ThrowawayCluster {
  readonly #bin: string;
  readonly #runAs: RunAs;
  readonly #settings: Readonly<Record<string, string | number>>;
  #running = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    bin: string,
    runAs: RunAs,
    settings: Readonly<Record<string, string | number>>,
  ) {
    this.#bin = bin;
    this.#runAs = runAs;
    this.#settings = settings;
  }

  /** Creates the cluster (initdb); it is not started. */
  static async create(options: ThrowawayClusterOptions = {}): Promise<ThrowawayCluster> {
    const bin = options.binDir ?? findPostgresBinDir();
    const runAs = await resolveRunAs();
    const dir = await mkdtemp(path.join(options.parentDir ?? '/tmp', 'es-rel-pg-'));
    if (runAs.owner !== undefined) await chown(dir, runAs.owner.uid, runAs.owner.gid);
    const port = await freePort();
    const cluster = new ThrowawayCluster(dir, port, bin, runAs, options.settings ?? {});
    try {
      await cluster.#exec('initdb', [
        '-D',
        cluster.dataDir,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--no-sync',
      ]);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return cluster;
  }

  /** The data directory. */
  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** The server log. */
  get logFile(): string {
    return path.join(this.dir, 'server.log');
  }

  /** True between a successful start and a stop. */
  get running(): boolean {
    return this.#running;
  }

  /** A connection string to `database` (default `postgres`) as user `postgres`. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections (crash recovery included). */
  async start(): Promise<void> {
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dir,
      max_connections: 60,
      shared_buffers: '32MB',
      ...this.#settings,
    };
    const options = [`-p ${this.port}`];
    for (const [name, value] of Object.entries(settings)) options.push(`-c ${name}=${value}`);
    await this.#exec('pg_ctl', [
      'start',
      '-w',
      '-t',
      '60',
      '-D',
      this.dataDir,
      '-l',
      this.logFile,
      '-o',
      options.join(' '),
    ]);
    this.#running = true;
  }

  /**
   * Stops the server. `immediate` is a crash: every backend is killed without a checkpoint, and
   * the next start runs crash recovery from the WAL.
   */
  async stop(mode: 'smart' | 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.#exec('pg_ctl', ['stop', '-w', '-t', '60', '-D', this.dataDir, '-m', mode]);
    this.#running = false;
  }

  /** `pg_ctl stop -m immediate`: the database crashes. */
  crash(): Promise<void> {
    return this.stop('immediate');
  }

  /** Stops (in `mode`) and starts again. */
  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** The last `lines` lines of the server log (for failure messages). */
  async logTail(lines = 30): Promise<string> {
    try {
      const text = await readFile(this.logFile, 'utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Stops the server (immediately) if it runs and deletes the cluster directory. */
  async destroy(): Promise<void> {
    if (this.#running) await this.stop('immediate').catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }

  async #exec(tool: string, args: readonly string[]): Promise<void> {
    const binary = path.join(this.#bin, tool);
    const [command, argv] =
      this.#runAs.command === ''
        ? [binary, [...args]]
        : [this.#runAs.command, [...this.#runAs.prefix, binary, ...args]];
    try {
      await run(command, argv, { cwd: this.dir, timeout: 120_000 });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `ThrowawayCluster: ${tool} ${args[0] ?? ''} failed: ${e.stderr || e.stdout || e.message}\n${await this.logTail(10)}`,
      );
    }
  }
}
