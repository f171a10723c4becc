import type { LightMyRequestResponse } from 'fastify';

/** Every header of an injected answer, in the order and spelling it goes on the wire, but `Date`. */
export function headersOf(response: LightMyRequestResponse): [string, unknown][] {
  // Node's own (since 15.1); @types/node leaves it out.
  const answer = response.raw.res as typeof response.raw.res & { getRawHeaderNames(): string[] };
  return answer
    .getRawHeaderNames()
    .filter((name) => name.toLowerCase() !== 'date')
    .map((name) => [name, answer.getHeader(name)]);
}
