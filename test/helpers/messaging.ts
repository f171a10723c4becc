import { randomBytes } from 'node:crypto';
import { connect, NatsError } from 'nats';

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
