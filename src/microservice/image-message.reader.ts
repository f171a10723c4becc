import { HttpStatus } from '@nestjs/common';
import { ApiError, defaultMessage } from '../common/api-error';
import { BODY_LIMIT_BYTES, isMalformedJsonValue, MALFORMED_JSON_BODY } from '../common/json-body';
import { ImageIdPipe } from '../image/image-id.pipe';
import { MalformedMessage, shortened } from './image-message.deserializer';

/** The fields a message of one pattern may carry; `true` marks the ones it must carry. */
export type MessageFields<K extends string> = Readonly<Record<K, boolean>>;

const imageIdPipe = new ImageIdPipe();

function malformed(pattern: string, fields: MessageFields<string>, problem: string): ApiError {
  const shape = Object.entries(fields)
    .map(([name, required]) => (required ? name : `${name}?`))
    .join(', ');
  return new ApiError(
    HttpStatus.BAD_REQUEST,
    `Malformed message: ${problem}; ${pattern} takes {${shape}}.`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.prototype.toString.call(value) === '[object Object]'
  );
}

/**
 * The envelope of a message (`{token, id, body}`, `{query}`...), judged before anything else as
 * HTTP judges an unreadable body: not an object, an unknown field (a query sent without its
 * `query` wrapper would otherwise be ignored), a missing required field, or an `id` (or other key
 * field: `keyFields`) that is not a number or a string is a 400. No data at all is an empty envelope.
 */
export function readMessage<K extends string>(
  payload: unknown,
  pattern: string,
  fields: MessageFields<K>,
  keyFields: readonly string[] = ['id'],
): Partial<Record<K, unknown>> {
  if (payload instanceof MalformedMessage) throw malformed(pattern, fields, payload.reason);
  const message = payload ?? {};
  if (!isPlainObject(message)) throw malformed(pattern, fields, 'the message is not an object');
  for (const name of Object.keys(message)) {
    if (!Object.prototype.hasOwnProperty.call(fields, name)) {
      throw malformed(pattern, fields, `unknown field "${shortened(name)}"`);
    }
  }
  for (const [name, required] of Object.entries(fields)) {
    if (required && message[name] === undefined) {
      throw malformed(pattern, fields, `the field "${name}" is missing`);
    }
  }
  // A body over HTTP's limit is its 413, counted as its JSON (a TCP frame may be 2 MB: a 1.5 MB
  // body was created where HTTP refused it; found by a probe).
  if (message.body !== undefined && jsonBytes(message.body) > BODY_LIMIT_BYTES) {
    throw new ApiError(413, defaultMessage(413));
  }
  // A body as HTTP's JSON parser would take it: too deep or prototype keys are its 400.
  if (message.body !== undefined && isMalformedJsonValue(message.body)) {
    throw new ApiError(400, MALFORMED_JSON_BODY);
  }
  // An If-Match is a string, as the header is (judged with the envelope, before the token).
  if (message.ifMatch !== undefined && typeof message.ifMatch !== 'string') {
    throw malformed(pattern, fields, 'ifMatch must be a string');
  }
  for (const name of keyFields) {
    const key = message[name];
    if (key !== undefined && typeof key !== 'number' && typeof key !== 'string') {
      throw malformed(pattern, fields, `${name} must be a number or a string`);
    }
  }
  return message as Partial<Record<K, unknown>>;
}

/** The bytes of `value` as JSON; a value JSON cannot write (too deep) counts as none here. */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return 0;
  }
}

/** The `id` of a message as an image id: the rules (and the 404) of the `:id` of the routes. */
export function messageImageId(id: unknown): number {
  return imageIdPipe.transform(String(id));
}
