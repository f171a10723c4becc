import { IMAGE_EVENT_TYPES } from '../events/image-event';
import { imageEvent } from './image-event.factory';
import type { StoredImageRow } from './image-write.transaction';

const BASE = 'https://cdn.example/images';
const row = (changes: Partial<StoredImageRow> = {}): StoredImageRow => ({
  image_id: 5,
  path: 'anime/a.jpg',
  facet: 1,
  created_at: '2024-01-01 00:00:00.000000',
  updated_at: '2024-02-01 00:00:00.500000',
  deleted_at: null,
  ...changes,
});

describe('imageEvent', () => {
  it('should carry a UUID, the actor and the image with every field', () => {
    const event = imageEvent(IMAGE_EVENT_TYPES.created, 'alice', row(), BASE);
    expect(event).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'image.created',
      imageId: 5,
      actor: 'alice',
      occurredAt: '2024-01-01 00:00:00.000000',
      data: {
        image: {
          image_id: 5,
          path: 'anime/a.jpg',
          facet: 'Cover',
          link: 'https://cdn.example/images/anime/a.jpg',
          created_at: '2024-01-01T00:00:00.000000Z',
          updated_at: '2024-02-01T00:00:00.500000Z',
          deleted_at: null,
        },
      },
    });
    expect(imageEvent(IMAGE_EVENT_TYPES.created, 'alice', row(), BASE).id).not.toBe(event.id);
  });

  it('should list the changed fields of an update, rendered, before and after', () => {
    const before = row();
    const after = row({ facet: 2, updated_at: '2024-03-01 00:00:00.000000' });
    expect(imageEvent(IMAGE_EVENT_TYPES.updated, 'bob', after, BASE, before)).toMatchObject({
      occurredAt: '2024-03-01 00:00:00.000000',
      data: { changes: { facet: { before: 'Cover', after: 'Grill' } } },
    });
  });

  it('should date a soft delete by its deleted_at', () => {
    const trashed = row({ deleted_at: '2024-04-01 00:00:00.000001' });
    expect(imageEvent(IMAGE_EVENT_TYPES.deleted, 'c', trashed, BASE)).toMatchObject({
      occurredAt: '2024-04-01 00:00:00.000001',
      data: { image: { deleted_at: '2024-04-01T00:00:00.000001Z' } },
    });
  });
});
