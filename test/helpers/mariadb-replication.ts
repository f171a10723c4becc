import { ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPool, Pool, RowDataPacket } from 'mysql2/promise';
import type { MysqlDatabaseConfig } from '../../src/config/app-config';

const run = promisify(execFile);

/** Servers started here, killed when the test process ends however it ends. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Small and fast: the data is thrown away after the test. */
const SERVER_OPTIONS = [
  '--no-defaults',
  '--user=root',
  '--bind-address=127.0.0.1',
  '--skip-name-resolve',
  '--innodb-buffer-pool-size=64M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=2',
  '--sync-binlog=0',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_unicode_ci',
];

const START_TIMEOUT_MS = 60_000;

class MariaDbServer {
  readonly pool: Pool;
  private child?: ChildProcess;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly dataDir: string,
    private readonly options: string[],
  ) {
    this.pool = createPool({
      host: '127.0.0.1',
      port,
      user: 'root',
      connectionLimit: 4,
      multipleStatements: false,
    });
  }

  /** The server's process id (undefined when it is not running). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get errorLog(): string {
    return `${this.dataDir}.err`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'mariadbd',
      [
        ...SERVER_OPTIONS,
        `--datadir=${this.dataDir}`,
        `--port=${this.port}`,
        `--socket=${this.dataDir}.sock`,
        `--pid-file=${this.dataDir}.pid`,
        `--log-error=${this.errorLog}`,
        ...this.options,
      ],
      { stdio: 'ignore' },
    );
    running.add(child);
    this.child = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
      running.delete(child);
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`${this.name} did not start: ${this.logTail()}`);
      try {
        await this.pool.query('SELECT 1');
        return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`${this.name} did not answer: ${this.logTail()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async query<T extends RowDataPacket>(sql: string, values: unknown[] = []): Promise<T[]> {
    const [rows] = await this.pool.query<T[]>(sql, values);
    return rows;
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  private logTail(): string {
    return existsSync(this.errorLog)
      ? readFileSync(this.errorLog, 'utf8').split('\n').slice(-8).join('\n')
      : '(no error log)';
  }
}

/**
 * A MariaDB primary and a replica of its own, joined by binlog replication (GTID), on two ports of
 * the caller's (`stablePort()` in tests), in a temporary folder: one `mariadb-install-db` copied
 * for both (a few seconds), then both servers started together. Everything goes when `close` is
 * called, or when the test process ends.
 */
export class ReplicatedMariaDb {
  readonly primary: MariaDbServer;
  readonly replica: MariaDbServer;

  private constructor(
    private readonly dir: string,
    primaryPort: number,
    replicaPort: number,
  ) {
    this.primary = new MariaDbServer('the primary', primaryPort, join(dir, 'primary'), [
      '--server-id=1',
      `--log-bin=${join(dir, 'primary', 'binlog')}`,
      '--binlog-format=ROW',
    ]);
    this.replica = new MariaDbServer('the replica', replicaPort, join(dir, 'replica'), [
      '--server-id=2',
      '--read-only',
      '--log-bin=' + join(dir, 'replica', 'binlog'),
      '--log-slave-updates',
    ]);
  }

  static async start(ports: { primary: number; replica: number }): Promise<ReplicatedMariaDb> {
    const dir = mkdtempSync(join(tmpdir(), 'image-api-replication-'));
    const pair = new ReplicatedMariaDb(dir, ports.primary, ports.replica);
    try {
      await run(
        'mariadb-install-db',
        [
          '--no-defaults',
          `--datadir=${join(dir, 'primary')}`,
          '--user=root',
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--innodb-log-file-size=8M',
          '--innodb-buffer-pool-size=32M',
        ],
        { timeout: START_TIMEOUT_MS },
      );
      // The same system tables on both: replication starts from an empty binlog.
      cpSync(join(dir, 'primary'), join(dir, 'replica'), { recursive: true });
      await Promise.all([pair.primary.start(), pair.replica.start()]);
      await pair.primary.query("CREATE USER 'replication'@'127.0.0.1' IDENTIFIED BY 'replication'");
      await pair.primary.query("GRANT REPLICATION SLAVE ON *.* TO 'replication'@'127.0.0.1'");
      await pair.replica.query(
        `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${ports.primary}, ` +
          "MASTER_USER='replication', MASTER_PASSWORD='replication', " +
          'MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1',
      );
      await pair.replica.query('START SLAVE');
      await pair.caughtUp();
      return pair;
    } catch (error) {
      await pair.close();
      throw error;
    }
  }

  /** Creates a database on the primary (it reaches the replica through the binlog). */
  async createDatabase(name: string): Promise<void> {
    await this.primary.query(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await this.caughtUp();
  }

  /** `mysql://` URLs of a database on the primary and on the replica. */
  url(server: 'primary' | 'replica', database: string): string {
    return `mysql://root@127.0.0.1:${this[server].port}/${database}`;
  }

  config(server: 'primary' | 'replica', database: string): MysqlDatabaseConfig {
    return {
      type: 'mysql',
      host: '127.0.0.1',
      port: this[server].port,
      username: 'root',
      password: '',
      database,
      poolSize: 4,
    };
  }

  /** Waits until the replica has applied everything the primary has written so far. */
  async caughtUp(timeoutMs = 20_000): Promise<void> {
    const [{ position }] = await this.primary.query<RowDataPacket & { position: string }>(
      'SELECT @@gtid_binlog_pos AS position',
    );
    const [{ reached }] = await this.replica.query<RowDataPacket & { reached: number }>(
      'SELECT MASTER_GTID_WAIT(?, ?) AS reached',
      [position, timeoutMs / 1000],
    );
    if (Number(reached) !== 0) {
      throw new Error(`the replica did not reach ${position} within ${timeoutMs} ms`);
    }
  }

  /** Stops applying the binlog (it is still received): the replica's data freezes. */
  async stopApplying(): Promise<void> {
    await this.replica.query('STOP SLAVE SQL_THREAD');
  }

  async resumeApplying(): Promise<void> {
    await this.replica.query('START SLAVE SQL_THREAD');
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.pool.end(), this.replica.pool.end()]);
    await Promise.all([this.primary.kill(), this.replica.kill()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
