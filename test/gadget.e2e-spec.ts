import { seedReadFixtures } from './helpers/fixtures';
import { describeEachDatabase } from './helpers/test-app';
import { GadgetModule } from './gadget/gadget.module';
import { createGadgetTables, insertGadgets, linkGadgets } from './gadget/gadget.tables';

/**
 * A resource that exists only here (test/gadget: a schema, a module of a few lines, no paging,
 * rendering or ETag code of its own) served by the shared reader: list, show, include, filter,
 * sort, cursor pages, 304 and the 422s of its query (docs/adding-a-resource.md).
 */
const HOST = 'gadgets.test';
const BASE = `http://${HOST}/api/gadget`;

describeEachDatabase(
  'a test-only resource through the shared reader',
  (context) => {
    beforeAll(async () => {
      const { dataSource } = context();
      await seedReadFixtures(dataSource);
      await createGadgetTables(dataSource);
      await insertGadgets(dataSource, [
        { id: 1, name: 'anvil', weight: 50 },
        { id: 2, name: 'balloon', weight: 1 },
        { id: 3, name: 'catapult', weight: 300 },
        { id: 4, name: 'drone', weight: null },
        { id: 5, name: 'eraser', weight: 5, deleted: true },
      ]);
      await linkGadgets(dataSource, [
        [1, 1],
        [2, 1],
        [3, 3],
      ]);
    });

    const get = (path: string) => context().http().get(path).set('Host', HOST);
    const gadget = (id: number, name: string, weight: number | null) => ({
      gadget_id: id,
      name,
      weight,
      label: `#${name}`,
    });

    it('should list the first page with links and meta', async () => {
      const response = await get('/api/gadget').expect(200);
      expect(response.body).toEqual({
        gadgets: [gadget(1, 'anvil', 50), gadget(2, 'balloon', 1)],
        links: {
          first: `${BASE}?page[number]=1`,
          last: null,
          prev: null,
          next: `${BASE}?page[number]=2`,
        },
        meta: { current_page: 1, from: 1, path: BASE, per_page: 2, to: 2 },
      });
    });

    it('should show one gadget, a soft-deleted one too, with its included anime', async () => {
      const response = await get('/api/gadget/1?include=anime&fields[anime]=name').expect(200);
      expect(response.body).toEqual({
        gadget: {
          ...gadget(1, 'anvil', 50),
          anime: [{ name: 'Cowboy Bebop' }, { name: 'Neon Genesis Evangelion' }],
        },
      });
      const trashed = await get('/api/gadget/5?fields[gadget]=name,deleted_at').expect(200);
      expect(trashed.body).toEqual({
        gadget: { name: 'eraser', deleted_at: '2024-01-01T00:00:00.000000Z' },
      });
    });

    it('should answer 404 for a gadget that does not exist', async () => {
      const response = await get('/api/gadget/99').expect(404);
      expect(response.body).toEqual({ message: 'Gadget 99 not found.' });
    });

    it('should filter, sort and include on a list', async () => {
      const response = await get(
        '/api/gadget?filter[weight-gt]=2&sort=-weight&include=anime&fields[anime]=name',
      ).expect(200);
      expect(response.body.gadgets).toEqual([
        { ...gadget(3, 'catapult', 300), anime: [{ name: 'Trigun' }] },
        {
          ...gadget(1, 'anvil', 50),
          anime: [{ name: 'Cowboy Bebop' }, { name: 'Neon Genesis Evangelion' }],
        },
      ]);
      expect(response.body.links.next).toBeNull();
      const trashed = await get('/api/gadget?filter[trashed]=only&fields[gadget]=name');
      expect(trashed.body.gadgets).toEqual([{ name: 'eraser' }]);
    });

    it('should walk cursor pages forwards and back', async () => {
      const first = await get('/api/gadget?sort=-name&page[cursor]=').expect(200);
      expect(first.body.gadgets.map((g: { name: string }) => g.name)).toEqual([
        'drone',
        'catapult',
      ]);
      expect(first.body.links.prev).toBeNull();
      expect(first.body.meta).toEqual({
        current_page: null,
        from: null,
        path: BASE,
        per_page: 2,
        to: null,
      });
      const next = first.body.links.next as string;
      expect(next).toMatch(new RegExp(`^${BASE}\\?sort=-name&page\\[cursor\\]=[A-Za-z0-9_.-]+$`));
      const second = await get(next.slice(`http://${HOST}`.length)).expect(200);
      expect(second.body.gadgets.map((g: { name: string }) => g.name)).toEqual([
        'balloon',
        'anvil',
      ]);
      expect(second.body.links.next).toBeNull();
      const back = await get((second.body.links.prev as string).slice(`http://${HOST}`.length));
      expect(back.body.gadgets).toEqual(first.body.gadgets);
    });

    it('should answer a matching If-None-Match with 304 until a gadget changes', async () => {
      const path = '/api/gadget?include=anime&sort=name';
      const tag = (await get(path).expect(200)).headers.etag;
      expect(tag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      const notModified = await get(path).set('If-None-Match', tag).expect(304);
      expect(notModified.text).toBe('');
      const showTag = (await get('/api/gadget/2').expect(200)).headers.etag;
      await get('/api/gadget/2').set('If-None-Match', showTag).expect(304);

      await insertGadgets(context().dataSource, [{ id: 6, name: 'abacus', weight: 2 }]);
      const changed = await get(path).set('If-None-Match', tag).expect(200);
      expect(changed.headers.etag).not.toBe(tag);
      expect(changed.body.gadgets[0]).toEqual({ ...gadget(6, 'abacus', 2), anime: [] });
      await get('/api/gadget/2').set('If-None-Match', showTag).expect(200);
    });

    it('should judge the query against the gadget schema (422)', async () => {
      const response = await get('/api/gadget?sort=label&page[size]=11').expect(422);
      const sortError =
        "Unknown sort key 'label' in sort. Allowed: gadget_id, name, weight, created_at, updated_at, deleted_at (prefix - for descending).";
      expect(response.body).toEqual({
        message: sortError,
        errors: {
          sort: [sortError],
          'page.size': ["page[size] must be an integer from 1 to 10; got '11'."],
        },
      });
      await get('/api/gadget?sort=random').expect(422);
      await get('/api/gadget/1?page[size]=2').expect(422);
    });
  },
  { imports: [GadgetModule] },
);
