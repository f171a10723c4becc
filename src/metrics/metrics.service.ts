import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { InjectAppConfig } from '../config/config.module';

/** The outbox as the events module sees it: events not yet published, and the oldest one's age. */
export interface OutboxSnapshot {
  readonly backlog: number;
  /** Seconds since the oldest unpublished event occurred; null when there is none. */
  readonly oldestAgeSeconds: number | null;
}

/** What the response cache holds now. */
export interface ResponseCacheSize {
  readonly entries: number;
  readonly bytes: number;
}

/** `up`/`down`: the last attempt to reach the broker worked or failed; `disabled`: no NATS_URL. */
export type BrokerStatus = 'up' | 'down' | 'disabled' | 'unknown';

/** How long a scrape waits for the outbox numbers before it answers without them. */
const OUTBOX_SNAPSHOT_TIMEOUT_MS = 1000;

/** Request latency buckets (seconds): a fast read is a few ms; the statement timeout is 5 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const HTTP_LABELS = ['method', 'route', 'status'] as const;
type HttpLabel = (typeof HTTP_LABELS)[number];

/** What mysql2's callback pool keeps about its connections (not part of its typed API). */
interface Mysql2PoolState {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/**
 * The service's Prometheus metrics (`GET /metrics`, docs/operations.md), one registry per app:
 * HTTP requests by route and status, the database pool, statement timeouts, the response cache, the event outbox and
 * the broker, and Node's process metrics. Other modules report into it (`statementTimeouts`,
 * `eventsPublished`, `brokerStatus`, `observeOutbox`); nothing here knows their internals.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  /**
   * Read off `httpDuration`'s counts at each scrape, so that a request is observed once:
   * prom-client hashes and checks the labels of every `inc` and `observe`.
   */
  readonly httpRequests: Counter<HttpLabel> = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: HTTP_LABELS,
    registers: [this.registry],
    collect: async () => {
      const { values } = await this.httpDuration.get();
      this.httpRequests.reset();
      for (const { metricName, labels, value } of values) {
        if (metricName === 'http_request_duration_seconds_count') {
          this.httpRequests.inc(labels, value);
        }
      }
    },
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request to its answer, by method, route pattern and status.',
    labelNames: HTTP_LABELS,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly statementTimeouts = new Counter({
    name: 'db_statement_timeouts_total',
    help: 'Database statements of requests stopped by DB_STATEMENT_TIMEOUT_MS or DB_CONNECT_TIMEOUT_MS.',
    registers: [this.registry],
  });

  readonly eventsPublished = new Counter({
    name: 'outbox_events_published_total',
    help: 'Domain events this instance published to the broker.',
    registers: [this.registry],
  });

  readonly responseCacheHits = new Counter({
    name: 'response_cache_hits_total',
    help: 'Reads answered from the in-process response cache (RESPONSE_CACHE_MB).',
    registers: [this.registry],
  });

  readonly responseCacheMisses = new Counter({
    name: 'response_cache_misses_total',
    help: 'Cacheable reads the response cache could not answer (read from the database, then kept).',
    registers: [this.registry],
  });

  readonly responseCacheEvictions = new Counter({
    name: 'response_cache_evictions_total',
    help: 'Responses pushed out of the full response cache, least recently used first.',
    registers: [this.registry],
  });

  private broker: BrokerStatus;
  private outboxSource?: () => Promise<OutboxSnapshot>;
  private responseCacheSize: () => ResponseCacheSize = () => ({ entries: 0, bytes: 0 });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectAppConfig() config: AppConfig,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.registerDatabasePool();
    this.registerOutbox();
    this.registerResponseCache();
    this.broker = config.messaging.nats === undefined ? 'disabled' : 'unknown';
    if (this.broker !== 'disabled') this.registerBroker();
  }

  /**
   * The answer of `GET /metrics`: this app's registry, and prom-client's default one, where
   * module-level metrics live (the rate limiter's Redis failures).
   */
  async render(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([this.registry, register]);
    // prom-client 15 writes NaN as `Nan`; the text format (and OpenMetrics) spells it `NaN`, and
    // strict parsers refuse the other (found by a probe).
    const body = (await merged.metrics()).replace(/ Nan$/gm, ' NaN');
    return { contentType: merged.contentType, body };
  }

  get brokerStatus(): BrokerStatus {
    return this.broker;
  }

  set brokerStatus(status: BrokerStatus) {
    this.broker = status;
  }

  /** The shared reader hands over how to read its response cache's size (none: 0 and 0). */
  observeResponseCache(size: () => ResponseCacheSize): void {
    this.responseCacheSize = size;
  }

  /** The events module hands over how to read the outbox. */
  observeOutbox(source: () => Promise<OutboxSnapshot>): void {
    this.outboxSource = source;
  }

  /** The outbox now, or null when it cannot be read within a second (the database is away). */
  async outboxSnapshot(): Promise<OutboxSnapshot | null> {
    const source = this.outboxSource;
    if (source === undefined) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), OUTBOX_SNAPSHOT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([source().catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private registerDatabasePool(): void {
    const pool = () =>
      (this.dataSource.driver as unknown as { pool?: Mysql2PoolState }).pool ?? undefined;
    new Gauge({
      name: 'db_pool_connections',
      help: 'Connections of the MySQL pool, by state (in_use, idle).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const state = pool();
        if (state?._allConnections === undefined || state._freeConnections === undefined) return;
        const idle = state._freeConnections.length;
        this.set({ state: 'in_use' }, state._allConnections.length - idle);
        this.set({ state: 'idle' }, idle);
      },
    });
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'The most connections the database pool opens (DB_POOL_SIZE; 1 for SQLite).',
      registers: [this.registry],
      collect() {
        this.set(pool()?.config?.connectionLimit ?? 1);
      },
    });
  }

  private registerResponseCache(): void {
    const size = () => this.responseCacheSize();
    new Gauge({
      name: 'response_cache_entries',
      help: 'Responses held in the in-process response cache.',
      registers: [this.registry],
      collect() {
        this.set(size().entries);
      },
    });
    new Gauge({
      name: 'response_cache_bytes',
      help: 'Bytes the response cache counts against RESPONSE_CACHE_MB.',
      registers: [this.registry],
      collect() {
        this.set(size().bytes);
      },
    });
  }

  private registerOutbox(): void {
    // Both gauges come from one read of the outbox per scrape.
    let pending: Promise<OutboxSnapshot | null> | undefined;
    const snapshot = () => {
      pending ??= this.outboxSnapshot().finally(() => {
        setImmediate(() => (pending = undefined));
      });
      return pending;
    };
    new Gauge({
      name: 'outbox_backlog',
      help: 'Domain events committed but not yet published.',
      registers: [this.registry],
      async collect() {
        // NaN: the outbox could not be read (the database is away), which is not an empty outbox.
        this.set((await snapshot())?.backlog ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'outbox_oldest_event_age_seconds',
      help: 'Age of the oldest unpublished event (0 when the outbox is empty).',
      registers: [this.registry],
      async collect() {
        const current = await snapshot();
        this.set(current === null ? Number.NaN : (current.oldestAgeSeconds ?? 0));
      },
    });
  }

  private registerBroker(): void {
    const status = () => this.broker;
    new Gauge({
      name: 'event_broker_up',
      help: '1 when the last attempt to reach the event broker worked, 0 when it failed (NaN before the first).',
      registers: [this.registry],
      collect() {
        const current = status();
        this.set(current === 'up' ? 1 : current === 'down' ? 0 : Number.NaN);
      },
    });
  }
}
