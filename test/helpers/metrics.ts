import type { TestApp } from './test-app';

/** The value of an unlabelled metric in the app's `/metrics` (NaN when it is not there). */
export async function metricValue(app: TestApp, name: string): Promise<number> {
  const text = (await app.http().get('/metrics').expect(200)).text;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}
