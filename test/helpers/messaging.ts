import { randomBytes } from 'node:crypto';
import { ImageClientError } from '@image-api/client';
import { connect, NatsError } from 'nats';
import type { Response } from 'supertest';

/** The NATS server of the machine (JetStream enabled). */
export const TEST_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * Subjects and a stream that belong to one test file only, so files running in parallel on the
 * same NATS server never answer (or consume) each other's messages.
 */
export function uniqueNatsNames(): { subjectPrefix: string; stream: string } {
  const token = `${process.pid}_${randomBytes(4).toString('hex')}`;
  return { subjectPrefix: `test_${token}.`, stream: `IMAGE_EVENTS_TEST_${token}` };
}

/** An answer reduced to what HTTP and the transports must agree on. */
export interface Answer {
  /** `ok` for any 2xx (a transport has no 201), the status otherwise. */
  readonly status: number | 'ok';
  readonly body: unknown;
}

export function httpAnswer(response: Response): Answer {
  return {
    status: response.status >= 200 && response.status < 300 ? 'ok' : response.status,
    body: response.body as unknown,
  };
}

/** The reply of a client call, or its error as status and body. */
export async function messageAnswer(call: Promise<unknown>): Promise<Answer> {
  try {
    return { status: 'ok', body: await call };
  } catch (error) {
    if (error instanceof ImageClientError) return { status: error.status, body: error.body };
    throw error;
  }
}

/** Removes a test file's stream (and its messages) from the NATS server, if it was created. */
export async function deleteStream(name: string): Promise<void> {
  const connection = await connect({ servers: TEST_NATS_URL });
  try {
    const manager = await connection.jetstreamManager();
    await manager.streams.delete(name).catch((error: NatsError) => {
      if (error.api_error?.err_code !== 10059) throw error;
    });
  } finally {
    await connection.close();
  }
}
