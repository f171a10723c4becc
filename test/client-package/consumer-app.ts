/**
 * A program of another team, written against the packed `@image-api/client` only: the pack test
 * installs the tarball into a scratch project outside the repository, type-checks this file with
 * `tsc --strict` and default settings, runs it against the service and compares what it prints
 * with the HTTP answers. Reads NATS_URL, SUBJECT_PREFIX, STREAM, TOKEN, DURABLE from the
 * environment; prints one JSON object.
 */
import {
  consumeImageEvents,
  ImageApiEvent,
  ImageClient,
  ImageClientError,
  ImageClientUnavailableError,
  retry,
} from '@image-api/client';

interface Failure {
  name: string;
  status: number;
  body: unknown;
  unavailable: boolean;
}

async function failure(call: Promise<unknown>): Promise<Failure | string> {
  try {
    await call;
    return 'no error';
  } catch (error) {
    if (!(error instanceof ImageClientError)) return `not an ImageClientError: ${String(error)}`;
    return {
      name: error.name,
      status: error.status,
      body: error.body,
      unavailable: error instanceof ImageClientUnavailableError,
    };
  }
}

/** What the event says, with `data` narrowed by its type. */
function summary(event: ImageApiEvent): Record<string, unknown> {
  switch (event.type) {
    case 'image.updated':
      return { type: event.type, image: event.data.image, changes: event.data.changes };
    default:
      return { type: event.type, image: event.data.image };
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const nats = { servers: required('NATS_URL') };
  const subjectPrefix = required('SUBJECT_PREFIX');
  const token = required('TOKEN');
  const client = new ImageClient({ nats, subjectPrefix, timeoutMs: 5000, logger: false });
  const heard: ImageApiEvent[] = [];
  const consumer = await consumeImageEvents(
    {
      nats,
      subjectPrefix,
      stream: required('STREAM'),
      durableName: required('DURABLE'),
      logger: false,
    },
    (event) => {
      heard.push(event);
    },
  );

  const list = await retry(() =>
    client.list({
      filter: { facet: ['Cover', 'Grill'], 'created_at-gte': new Date(Date.UTC(2024, 0, 1)) },
      include: ['anime'],
      sort: ['-created_at'],
      page: { size: 3 },
    }),
  );
  const show = await client.show(1, {
    include: 'artists',
    fields: { image: ['image_id', 'path'], artist: ['name'] },
  });
  const created = await client.create(token, { path: 'packed/new.jpg', facet: 'Large Cover' });
  const id = created.image.image_id;
  const updated = await client.update(token, id, { facet: 'Grill' });
  const deleted = await client.delete(token, id);

  const nobody = new ImageClient({ nats, subjectPrefix: `${subjectPrefix}nobody`, logger: false });
  const errors = {
    missing: await failure(client.show(987654321)),
    invalid: await failure(client.list('page[size]=101')),
    unauthenticated: await failure(client.create('not-a-token', { path: 'x.jpg', facet: 'Cover' })),
    unavailable: await failure(nobody.list()),
  };
  await nobody.close();

  const deadline = Date.now() + 20_000;
  while (heard.filter((event) => event.image_id === id).length < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const events = heard.filter((event) => event.image_id === id).map(summary);
  await consumer.stop();
  await client.close();
  console.log(JSON.stringify({ list, show, created, updated, deleted, errors, events }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
