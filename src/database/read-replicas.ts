import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { AppConfig, DatabaseTimeouts, MysqlDatabaseConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { openDataSource } from './data-source';
import { applyDatabaseTimeouts, CONNECT_TIMEOUT_CODE, databaseDeadline } from './database-timeouts';

/** One replica of `DATABASE_REPLICA_URLS` and what the last check found. */
interface Replica {
  /** `replica1`, `replica2`, ... in the order of `DATABASE_REPLICA_URLS` (metrics, logs). */
  readonly name: string;
  readonly config: MysqlDatabaseConfig;
  source?: DataSource;
  /** How far behind the primary it was at `measuredAt`; undefined: down or not measured yet. */
  lagMs?: number;
  /** `performance.now()` when the lag was measured (just before the replica was asked). */
  measuredAt: number;
  /** What the last check found (one log line when it changes). */
  state: 'unknown' | 'in-use' | 'lagging' | 'down';
  checking: boolean;
}

/** Errors after which a server is unreachable rather than the statement wrong. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  CONNECT_TIMEOUT_CODE,
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

function isConnectionError(error: unknown): boolean {
  const failed = error as
    | { fatal?: unknown; code?: unknown; driverError?: { fatal?: unknown; code?: unknown } }
    | null
    | undefined;
  const driver = failed?.driverError ?? failed;
  return driver?.fatal === true || CONNECTION_ERROR_CODES.has(String(driver?.code));
}

/**
 * Read replicas (API.md section 11, docs/scaling.md). Keeps a pool per `DATABASE_REPLICA_URLS`
 * entry and measures each replica's lag every `checkIntervalMs`: the instances set the one row of
 * `replica_heartbeat` to the primary's `NOW(6)`, and a replica holding beat B has every
 * transaction the primary committed before B, so its lag is the primary's `NOW(6)` minus B. A
 * replica is read from only while that lag plus the time since it was measured stays within
 * `DB_REPLICA_MAX_LAG_MS`, so no read is staler than the bound; one that fails or lags is skipped
 * until a check finds it back, and with none left reads go to the primary.
 *
 * `run` is the whole interface: a read request runs all its statements on the one server it
 * picks, so a page and its ETag come from the same data. Writes never come here.
 */
@Injectable()
export class ReadReplicas implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReadReplicas.name);
  private readonly replicas: Replica[];
  private readonly maxLagMs: number;
  /** A quarter of the bound: a replica in step is measured well within it. */
  private readonly checkIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private next = 0;
  private heartbeatFailing = false;
  private readonly reads?: Counter<'server'>;
  private readonly timeouts: DatabaseTimeouts;

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    @InjectAppConfig() config: AppConfig,
    @Optional() metrics?: MetricsService,
  ) {
    const { replicas, replicaMaxLagMs } = config.fleet;
    this.timeouts = config.databaseTimeouts;
    this.maxLagMs = replicaMaxLagMs;
    this.checkIntervalMs = Math.min(1000, Math.max(25, Math.floor(replicaMaxLagMs / 4)));
    this.replicas = replicas.map((replica, index) => ({
      name: `replica${index + 1}`,
      config: replica,
      measuredAt: Number.NEGATIVE_INFINITY,
      state: 'unknown',
      checking: false,
    }));
    if (this.replicas.length > 0 && metrics !== undefined)
      this.reads = this.registerMetrics(metrics);
  }

  /**
   * Runs the statements of one read request on one server: a replica within the lag bound (taken
   * in turn), else the primary. A replica that fails to connect is taken out and the whole `work`
   * runs again on the primary (it only reads, so it can). The statements share one deadline
   * (`deadline`, database-timeouts.ts), the run on the primary after a replica failed included.
   */
  async run<T>(work: (source: DataSource, deadline: number) => Promise<T>): Promise<T> {
    const deadline = databaseDeadline(this.timeouts);
    if (this.replicas.length === 0) return work(this.primary, deadline);
    const replica = this.pick();
    if (replica === undefined) {
      this.reads?.inc({ server: 'primary' });
      return work(this.primary, deadline);
    }
    this.reads?.inc({ server: replica.name });
    try {
      return await work(replica.source!, deadline);
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      this.takeOut(replica, error);
      this.reads?.inc({ server: 'primary' });
      return work(this.primary, deadline);
    }
  }

  /** What each replica looks like now (tests, /metrics). */
  status(): { name: string; usable: boolean; lagMs: number | null }[] {
    const now = performance.now();
    return this.replicas.map((replica) => ({
      name: replica.name,
      usable: this.usable(replica, now),
      lagMs: replica.lagMs ?? null,
    }));
  }

  onApplicationBootstrap(): void {
    if (this.replicas.length === 0 || this.primary.options.type !== 'mysql') return;
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(
      this.replicas.map(async (replica) => {
        if (replica.source?.isInitialized) await replica.source.destroy();
      }),
    );
  }

  private pick(): Replica | undefined {
    const now = performance.now();
    for (let tried = 0; tried < this.replicas.length; tried += 1) {
      const replica = this.replicas[this.next];
      this.next = (this.next + 1) % this.replicas.length;
      if (this.usable(replica, now)) return replica;
    }
    return undefined;
  }

  private usable(replica: Replica, now: number): boolean {
    return (
      replica.source !== undefined &&
      replica.lagMs !== undefined &&
      replica.lagMs + (now - replica.measuredAt) <= this.maxLagMs
    );
  }

  /** One round: a heartbeat on the primary, then every replica measured (side by side). */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.beat();
    await Promise.all(this.replicas.map((replica) => this.check(replica)));
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.checkIntervalMs);
  }

  /**
   * Sets the heartbeat to the primary's clock, unless another instance did within half an
   * interval (a fleet writes it about twice per interval, however many instances it has).
   */
  private async beat(): Promise<void> {
    try {
      await this.primary.query(
        'UPDATE replica_heartbeat SET beat_at = NOW(6) ' +
          'WHERE heartbeat_id = 1 AND beat_at < NOW(6) - INTERVAL ? MICROSECOND',
        [this.checkIntervalMs * 500],
      );
      if (this.heartbeatFailing) this.logger.log('The replica heartbeat is written again');
      this.heartbeatFailing = false;
    } catch (error) {
      if (!this.heartbeatFailing) {
        this.logger.warn(`The replica heartbeat could not be written: ${describe(error)}`);
      }
      this.heartbeatFailing = true;
    }
  }

  /**
   * Measures a replica, waiting at most the bound: a replica that has not answered by then is taken
   * out, and not asked again until that answer comes (so a hung server gets one check at a time).
   */
  private async check(replica: Replica): Promise<void> {
    if (replica.checking) return;
    replica.checking = true;
    const measuredAt = performance.now();
    const measuring = this.measure(replica)
      .then(
        (lagMs) => this.measured(replica, lagMs, measuredAt),
        (error: unknown) => this.takeOut(replica, error),
      )
      .finally(() => {
        replica.checking = false;
      });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.takeOut(replica, new Error(`no answer within ${this.maxLagMs} ms`));
        resolve();
      }, this.maxLagMs);
    });
    await Promise.race([measuring, timedOut]);
    clearTimeout(timer);
  }

  private measured(replica: Replica, lagMs: number, measuredAt: number): void {
    replica.lagMs = lagMs;
    replica.measuredAt = measuredAt;
    if (this.usable(replica, performance.now())) {
      if (replica.state !== 'in-use') {
        this.logger.log(`${replica.name} serves reads (${lagMs} ms behind the primary)`);
      }
      replica.state = 'in-use';
    } else {
      if (replica.state !== 'lagging') {
        this.logger.warn(`${replica.name} is skipped: ${lagMs} ms behind the primary`);
      }
      replica.state = 'lagging';
    }
  }

  /**
   * The replica's lag in ms: its heartbeat is read first, the primary's clock after, so the lag is
   * never under-estimated.
   */
  /** A replica's pool, with the primary's statement and connect limits (a frozen replica fails fast). */
  private async open(config: MysqlDatabaseConfig): Promise<DataSource> {
    const source = await openDataSource(config, { connectTimeoutMs: this.timeouts.connectMs });
    await applyDatabaseTimeouts(source, this.timeouts);
    return source;
  }

  private async measure(replica: Replica): Promise<number> {
    replica.source ??= await this.open(replica.config);
    const [beat] = await replica.source.query<{ beat_at: string }[]>(
      'SELECT beat_at FROM replica_heartbeat WHERE heartbeat_id = 1',
    );
    if (beat === undefined) throw new Error('replica_heartbeat has no row');
    // The lag is against the primary's clock: without the primary no replica is known to be within
    // the bound, and the error must say whose it is (it named the primary's address as the replica's).
    const [{ lag }] = await this.primary
      .query<{ lag: number | string }[]>('SELECT TIMESTAMPDIFF(MICROSECOND, ?, NOW(6)) AS lag', [
        beat.beat_at,
      ])
      .catch((error: unknown) => {
        throw new Error(
          `its lag cannot be measured: the primary did not answer (${describe(error)})`,
        );
      });
    return Math.max(0, Math.ceil(Number(lag) / 1000));
  }

  private takeOut(replica: Replica, error: unknown): void {
    replica.lagMs = undefined;
    if (replica.state !== 'down')
      this.logger.warn(`${replica.name} is skipped: ${describe(error)}`);
    replica.state = 'down';
  }

  private registerMetrics(metrics: MetricsService): Counter<'server'> {
    const status = () => this.status();
    new Gauge({
      name: 'db_replica_lag_seconds',
      help: 'How far each read replica was behind the primary when last measured (NaN: down, or the primary did not answer the measurement).',
      labelNames: ['replica'] as const,
      registers: [metrics.registry],
      collect() {
        for (const replica of status()) {
          this.set(
            { replica: replica.name },
            replica.lagMs === null ? Number.NaN : replica.lagMs / 1000,
          );
        }
      },
    });
    new Gauge({
      name: 'db_replica_up',
      help: '1 when a read replica serves reads (reachable, within DB_REPLICA_MAX_LAG_MS), else 0.',
      labelNames: ['replica'] as const,
      registers: [metrics.registry],
      collect() {
        for (const replica of status()) this.set({ replica: replica.name }, replica.usable ? 1 : 0);
      },
    });
    return new Counter({
      name: 'db_reads_total',
      help: 'Read requests (list, show, their conditional GETs) by the server they were sent to.',
      labelNames: ['server'] as const,
      registers: [metrics.registry],
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
