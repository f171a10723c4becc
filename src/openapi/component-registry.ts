import type { SchemaObject } from '@nestjs/swagger';

const registered: Record<string, SchemaObject> = {};

/**
 * Adds `components.schemas` entries that a resource's operation decorators refer to, so the
 * document builder needs to know no resource but images (the pivots register theirs this way).
 */
export function registerComponentSchemas(schemas: Record<string, SchemaObject>): void {
  Object.assign(registered, schemas);
}

export function registeredComponentSchemas(): Record<string, SchemaObject> {
  return { ...registered };
}
