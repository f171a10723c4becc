import { ApiError } from '../common/api-error';
import { messageImageId, readMessage } from './image-message.reader';

function errorOf(run: () => unknown): { status: number; body: unknown } {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return { status: error.getStatus(), body: error.getResponse() };
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('readMessage', () => {
  const fields = { token: false, id: true, body: false } as const;

  it('should return the fields of a well-formed message', () => {
    expect(readMessage({ token: 't', id: 3, body: { path: 'x' } }, 'image.update', fields)).toEqual(
      {
        token: 't',
        id: 3,
        body: { path: 'x' },
      },
    );
  });

  it('should read no data as an empty message', () => {
    expect(readMessage(undefined, 'image.list', { query: false })).toEqual({});
    expect(readMessage(null, 'image.list', { query: false })).toEqual({});
  });

  it.each([
    ['a string', 'id=1', 'the message is not an object'],
    ['an array', [1], 'the message is not an object'],
    ['an unknown field', { id: 1, filter: {} }, 'unknown field "filter"'],
    ['a missing required field', { token: 't' }, 'the field "id" is missing'],
    ['an id that is an object', { id: { n: 1 } }, 'id must be a number or a string'],
    ['an id that is null', { id: null }, 'id must be a number or a string'],
  ])('should answer 400 to %s', (_what, payload, problem) => {
    expect(errorOf(() => readMessage(payload, 'image.update', fields))).toEqual({
      status: 400,
      body: { message: `Malformed message: ${problem}; image.update takes {token?, id, body?}.` },
    });
  });
});

describe('messageImageId', () => {
  it.each([
    [7, 7],
    ['7', 7],
    ['0007', 7],
  ])('should read %p as image %p', (id, expected) => {
    expect(messageImageId(id)).toBe(expected);
  });

  it.each([0, -1, 1.5, 'abc', '', '1e3', 2 ** 60])('should answer 404 to %p', (id) => {
    expect(errorOf(() => messageImageId(id))).toEqual({
      status: 404,
      body: { message: `Image ${String(id)} not found.` },
    });
  });
});
