import type { EventImage, ImageApiEvent } from '@image-api/client';

/**
 * What a consumer keeps of the images: the latest state of each one it heard of, built from the
 * events alone. Delivery is at least once, so it drops an event id it has already applied, and an
 * event older (by `sequence`) than the last one it applied for that image.
 */
export class ImageProjection {
  private readonly images = new Map<number, EventImage>();
  private readonly lastSequence = new Map<number, number>();
  private readonly applied = new Set<string>();

  /** Applies an event; false when it was a duplicate or stale and changed nothing. */
  apply(event: ImageApiEvent): boolean {
    if (this.applied.has(event.id)) return false;
    if (event.sequence <= (this.lastSequence.get(event.image_id) ?? 0)) return false;
    this.applied.add(event.id);
    this.lastSequence.set(event.image_id, event.sequence);
    switch (event.type) {
      case 'image.force_deleted':
        this.images.delete(event.image_id);
        break;
      default:
        this.images.set(event.image_id, event.data.image);
    }
    return true;
  }

  /** The image as last heard of (`deleted_at` set when it is in the trash); undefined if gone. */
  get(id: number): EventImage | undefined {
    return this.images.get(id);
  }

  get size(): number {
    return this.images.size;
  }
}
