import type { BrokerStatus, MetricsService } from '../metrics';
import type { ImageEventPublisher } from './jetstream-event.publisher';
import type { ImageEvent } from './image-event';
import { reportingPublisher } from './outbox-metrics';

/** A publisher whose next `ready` and `publish` work or fail as the test says. */
function scriptedPublisher() {
  const outcomes = { ready: true, publish: true };
  let reconnect: () => void = () => undefined;
  const publisher: ImageEventPublisher = {
    ready: () => (outcomes.ready ? Promise.resolve() : Promise.reject(new Error('TIMEOUT'))),
    publish: () => (outcomes.publish ? Promise.resolve() : Promise.reject(new Error('TIMEOUT'))),
    onReconnect: (listener) => {
      reconnect = listener;
      return () => undefined;
    },
    close: () => Promise.resolve(),
  };
  return { publisher, outcomes, reconnect: () => reconnect() };
}

describe('reportingPublisher', () => {
  // Found by a probe: a frozen broker was reported up by every retry's readiness check.
  it('should say down from a failed publish until a publish or a reconnection works, whatever ready says', async () => {
    const metrics = { brokerStatus: 'unknown' as BrokerStatus, eventsPublished: { inc() {} } };
    const { publisher, outcomes, reconnect } = scriptedPublisher();
    const reporting = reportingPublisher(publisher, metrics as unknown as MetricsService);
    const event = {} as ImageEvent;
    const seen: BrokerStatus[] = [];
    const step = async (work: () => Promise<void>) => {
      await work().catch(() => undefined);
      seen.push(metrics.brokerStatus);
    };

    outcomes.ready = false;
    await step(() => reporting.ready()); // a first connection that fails
    outcomes.ready = true;
    await step(() => reporting.ready()); // then works
    await step(() => reporting.publish(event));
    outcomes.publish = false;
    await step(() => reporting.publish(event)); // the broker goes silent
    await step(() => reporting.ready()); // the client still believes it connected
    await step(() => reporting.ready());
    outcomes.publish = true;
    await step(() => reporting.publish(event)); // it answers again
    outcomes.publish = false;
    await step(() => reporting.publish(event));
    reconnect();
    seen.push(metrics.brokerStatus);
    expect(seen).toEqual(['down', 'up', 'up', 'down', 'down', 'down', 'up', 'down', 'up']);
  });
});
