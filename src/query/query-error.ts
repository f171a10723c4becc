import { ValidationFailedError } from '../common/api-error';

/** The error key of problems with the query as a whole (its size, its shape, a forbidden name). */
export const QUERY_ERROR_KEY = 'query';

/** Client text echoed in a message is cut to this many characters. */
const MAX_ECHO_LENGTH = 60;

/** Throws the 422 of one parameter: `errors` keyed by the dotted parameter, `message` = `message`. */
export function failParameter(key: string, message: string): never {
  throw ValidationFailedError.of(key, message);
}

/**
 * What a refusal offers instead (`offer` of the names joined by commas), or, when nothing is (a show
 * of a resource with no included arrays, as a pivot link), that its show takes no filter or sort.
 */
export function allowedInstead(
  names: readonly string[],
  singularKey: string,
  offer: (list: string) => string,
): string {
  return names.length > 0
    ? offer(names.join(', '))
    : `Showing one ${singularKey} takes no filter or sort.`;
}

/**
 * Quotes client text for a message, cut short so a huge value never bloats the error body. Cut by
 * code points: cut by UTF-16 units, an emoji lost its second half, and the JSON held a lone
 * surrogate that strict parsers refuse (found by a probe).
 */
export function quote(text: string): string {
  if (text.length <= MAX_ECHO_LENGTH) return `'${text}'`;
  const characters = Array.from(text);
  return characters.length > MAX_ECHO_LENGTH
    ? `'${characters.slice(0, MAX_ECHO_LENGTH).join('')}…'`
    : `'${text}'`;
}

/**
 * Gathers the 422s of several parameters, so one response names every bad parameter; the first
 * error recorded becomes the body's `message`. Keys keep their first-seen order; each message is kept
 * once per key.
 */
export class QueryErrorCollector {
  private readonly errors = new Map<string, string[]>();

  get isEmpty(): boolean {
    return this.errors.size === 0;
  }

  add(key: string, message: string): void {
    const messages = this.errors.get(key);
    if (messages === undefined) this.errors.set(key, [message]);
    else if (!messages.includes(message)) messages.push(message);
  }

  /** Runs one parameter's parser; its ValidationFailedError is recorded, anything else rethrown. */
  capture<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ValidationFailedError)) throw error;
      for (const [key, messages] of Object.entries(error.fieldErrors)) {
        for (const message of messages) this.add(key, message);
      }
      return undefined;
    }
  }

  throwIfAny(): void {
    // Object.fromEntries defines own properties, so no key can ever reach a prototype.
    if (!this.isEmpty) throw new ValidationFailedError(Object.fromEntries(this.errors));
  }
}
