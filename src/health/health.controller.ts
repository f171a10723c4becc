import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { defaultMessage } from '../common/api-error';
import { type BrokerStatus, MetricsService } from '../metrics';

/** How long readiness waits for the database's answer to a ping. */
export const READINESS_PING_TIMEOUT_MS = 2000;

/** The readiness message when the ping failed other than by its timeout. */
export const DATABASE_UNREACHABLE = 'The database could not be reached.';

type IndicatorResult = Record<string, { status: 'up' | 'down'; message?: string }>;

export interface ReadinessBody {
  /** On a 503 only: the contract's error message (API.md section 7), for clients that read it. */
  message?: string;
  status: 'ok' | 'error';
  info: IndicatorResult;
  error: IndicatorResult;
  details: IndicatorResult;
  /** Whether the outbox relay reached the event broker on its last attempt (not part of readiness). */
  broker: { status: BrokerStatus };
  /** Events waiting to be published; null when the database did not answer. */
  outbox: { backlog: number | null; oldest_event_age_seconds: number | null };
}

/** Operational routes: left out of the OpenAPI document, which describes the Image API. */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: TypeOrmHealthIndicator,
    private readonly metrics: MetricsService,
  ) {}

  /** Liveness: the process answers; the database is not consulted. */
  @Get()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: 200 when the database answers a ping within 2 s, 503 otherwise. The body also says
   * how the event broker and the outbox are doing; they do not decide readiness, since requests
   * are served (and events kept) without a broker.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessBody> {
    const [ping, outbox] = await Promise.all([
      this.database.pingCheck('database', { timeout: READINESS_PING_TIMEOUT_MS }),
      this.metrics.outboxSnapshot(),
    ]);
    const up = ping.database?.status === 'up';
    // Terminus names only a timeout; a refused or broken connection came without a word.
    const database: IndicatorResult =
      up || ping.database?.message !== undefined
        ? ping
        : { database: { status: 'down', message: DATABASE_UNREACHABLE } };
    void reply.status(up ? 200 : 503);
    return {
      ...(up ? {} : { message: defaultMessage(503) }),
      status: up ? 'ok' : 'error',
      info: up ? database : {},
      error: up ? {} : database,
      details: database,
      broker: { status: this.metrics.brokerStatus },
      outbox: {
        backlog: outbox?.backlog ?? null,
        oldest_event_age_seconds:
          outbox === null ? null : Math.round((outbox.oldestAgeSeconds ?? 0) * 1000) / 1000,
      },
    };
  }
}
