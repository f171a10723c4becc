import { Permission } from '../src/auth/permissions';
import { countRows, insertImageRow, readImageRow } from './helpers/image-rows';
import { describeEachDatabase } from './helpers/test-app';
import { bearer, tokenWith } from './helpers/tokens';

const WRITER = bearer(
  tokenWith(
    Permission.CreateImage,
    Permission.UpdateImage,
    Permission.DeleteImage,
    Permission.RestoreImage,
    Permission.ForceDeleteImage,
  ),
);

// 50 requests queue for a pool of 5 connections: on a loaded machine some wait longer than the
// 2 s DB_CONNECT_TIMEOUT_MS and would be a 503 (load shedding, tested with the time limits).
// This suite is about what concurrent writes leave in the database, so it waits longer.
describeEachDatabase(
  'concurrent image writes',
  (context) => {
    it('should land 50 parallel creates, each with its own id and row', async () => {
      const { dataSource } = context();
      const before = await countRows(dataSource, 'images');
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          context()
            .http()
            .post('/api/image')
            .set('Authorization', WRITER)
            .send({ path: `parallel/${index}.jpg`, facet: index % 3 }),
        ),
      );

      expect(responses.map((response) => response.status)).toEqual(Array(50).fill(201));
      const ids = responses.map((response) => response.body.image.image_id as number);
      expect(new Set(ids).size).toBe(50);
      expect(new Set(responses.map((response) => response.headers.location)).size).toBe(50);
      expect(await countRows(dataSource, 'images')).toBe(before + 50);
      for (const [index, response] of responses.entries()) {
        const row = await readImageRow(dataSource, ids[index]);
        expect(row).toMatchObject({
          path: `parallel/${index}.jpg`,
          facet: index % 3,
          deleted_at: null,
        });
        expect(response.body.image.path).toBe(`parallel/${index}.jpg`);
      }
    });

    it('should keep every answered create when failing writes roll back at the same time', async () => {
      const { dataSource } = context();
      const existing = await insertImageRow(dataSource);
      const before = await countRows(dataSource, 'images');
      // Each 422 update rolls its transaction back while creates are in flight; a rollback must
      // never take another request's committed write with it.
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          index % 2 === 0
            ? context()
                .http()
                .post('/api/image')
                .set('Authorization', WRITER)
                .send({ path: `mixed/${index}.jpg`, facet: 'Cover' })
            : context()
                .http()
                .patch(`/api/image/${existing.image_id}`)
                .set('Authorization', WRITER)
                .send({ path: '../escape' }),
        ),
      );
      const created = responses.filter((response) => response.status === 201);
      expect(created).toHaveLength(20);
      expect(responses.filter((response) => response.status === 422)).toHaveLength(20);
      expect(await countRows(dataSource, 'images')).toBe(before + 20);
      for (const response of created) {
        const row = await readImageRow(dataSource, response.body.image.image_id as number);
        expect(row?.path).toBe(response.body.image.path);
      }
      expect(await readImageRow(dataSource, existing.image_id)).toEqual(existing);
    });

    it('should leave one consistent state when a delete races an update of the same image', async () => {
      const { dataSource } = context();
      for (let round = 0; round < 10; round += 1) {
        const image = await insertImageRow(dataSource, { path: `race/${round}/old.jpg` });
        const newPath = `race/${round}/new.jpg`;
        const send = {
          update: () =>
            context()
              .http()
              .patch(`/api/image/${image.image_id}`)
              .set('Authorization', WRITER)
              .send({ path: newPath }),
          remove: () =>
            context().http().delete(`/api/image/${image.image_id}`).set('Authorization', WRITER),
        };
        // Alternate which request leaves first, so both orders get exercised.
        const [update, remove] =
          round % 2 === 0
            ? await Promise.all([send.update(), send.remove()])
            : (await Promise.all([send.remove(), send.update()])).reverse();

        // The delete always wins its race: updates never trash an image.
        expect(remove.status).toBe(200);
        expect([200, 404]).toContain(update.status);
        const row = await readImageRow(dataSource, image.image_id);
        expect(row?.deleted_at).not.toBeNull();
        // The delete was the last write either way: it stamped both columns with the same instant.
        expect(row?.updated_at).toBe(row?.deleted_at);
        if (update.status === 200) {
          // The update ran first, on the live image; the delete then trashed the renamed image.
          expect(row?.path).toBe(newPath);
          expect(update.body.image.path).toBe(newPath);
          expect(remove.body.image.path).toBe(newPath);
        } else {
          // The delete ran first; the update found no live image.
          expect(update.body).toEqual({ message: `Image ${image.image_id} not found.` });
          expect(row?.path).toBe(image.path);
          expect(remove.body.image.path).toBe(image.path);
        }
      }
    });

    it('should never answer 5xx when restore, force delete and update race on one image', async () => {
      const { dataSource } = context();
      for (let round = 0; round < 5; round += 1) {
        const image = await insertImageRow(dataSource, {
          deleted_at: '2024-05-05 05:05:05.000000',
        });
        const responses = await Promise.all([
          context()
            .http()
            .patch(`/api/restore/image/${image.image_id}`)
            .set('Authorization', WRITER),
          context()
            .http()
            .patch(`/api/image/${image.image_id}`)
            .set('Authorization', WRITER)
            .send({ facet: 'Grill' }),
          context()
            .http()
            .delete(`/api/forceDelete/image/${image.image_id}`)
            .set('Authorization', WRITER),
        ]);
        for (const response of responses) expect([200, 404]).toContain(response.status);
        // Force delete always finds the image (nothing else removes it), so it is gone at the end.
        expect(responses[2].status).toBe(200);
        expect(await readImageRow(dataSource, image.image_id)).toBeUndefined();
      }
    });
  },
  { env: { DB_CONNECT_TIMEOUT_MS: '30000' } },
);
