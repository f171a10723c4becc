import 'reflect-metadata';
import { CreateImageDto } from '../image/dto/create-image.dto';
import { UpdateImageDto } from '../image/dto/update-image.dto';
import { DepthBody, EmptyPivotBody } from '../pivot/pivot-body.dto';
import { validateBody } from './validate-body';
import { createValidationPipe } from './validation';

/** What the plain ValidationPipe answers for the body as it came: the value, or the 422's errors. */
async function plainly(dto: new () => object, body: object): Promise<unknown> {
  try {
    return {
      value: await createValidationPipe().transform(structuredClone(body), {
        type: 'body',
        metatype: dto,
      }),
    };
  } catch (error) {
    return { errors: (error as { getResponse(): unknown }).getResponse() };
  }
}

async function picked(dto: new () => object, body: object): Promise<unknown> {
  try {
    return { value: await validateBody(dto, structuredClone(body)) };
  } catch (error) {
    return { errors: (error as { getResponse(): unknown }).getResponse() };
  }
}

const extra = Object.fromEntries(Array.from({ length: 50 }, (_, index) => [`k${index}`, index]));

describe('validateBody', () => {
  it.each<[string, new () => object, object]>([
    ['a create', CreateImageDto, { path: 'cover/a.png', facet: 'Cover' }],
    ['a create with unknown keys', CreateImageDto, { ...extra, path: 'cover/a.png', facet: 2 }],
    ['a bad create with unknown keys', CreateImageDto, { ...extra, path: '../x', facet: 9 }],
    ['a create missing both', CreateImageDto, { ...extra }],
    [
      'a create with keys every object inherits',
      CreateImageDto,
      { toString: 1, constructor: 2, path: 'a/b.png', facet: 1 },
    ],
    ['an update', UpdateImageDto, { ...extra, facet: 'grill' }],
    ['an empty update', UpdateImageDto, {}],
    ['a depth', DepthBody, { ...extra, depth: 3 }],
    ['a bad depth', DepthBody, { depth: 0, other: true }],
    ['a null depth', DepthBody, { depth: null }],
    ['an empty pivot body with keys', EmptyPivotBody, { ...extra }],
    ['a create with objects for its fields', CreateImageDto, { path: extra, facet: { a: 1 } }],
    ['a create with arrays for its fields', CreateImageDto, { path: ['a/b.png'], facet: [1, 2] }],
    ['an update with an object path', UpdateImageDto, { path: { ...extra }, facet: 'Cover' }],
    ['an update with an empty object and array', UpdateImageDto, { path: {}, facet: [] }],
    ['a depth as an object', DepthBody, { depth: extra }],
    ['a depth as an array', DepthBody, { depth: [3] }],
  ])('should answer %s exactly as the plain ValidationPipe', async (_, dto, body) => {
    const plain = await plainly(dto, body);
    expect(await picked(dto, body)).toEqual(plain);
  });
});
