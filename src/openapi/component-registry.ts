import type { SchemaObject } from '@nestjs/swagger';
import type { RootResourceSchema } from '../query';
import { resourceSchemas } from './resource-schemas';

const registered: RootResourceSchema[] = [];

/**
 * Adds a resource whose list and show bodies its operation decorators refer to, so the document
 * builder needs to know no resource but images (the pivots register theirs this way). The bodies
 * are generated when the document is built, once the data source has loaded every entity whose
 * column metadata they read.
 */
export function registerResourceSchema(schema: RootResourceSchema): void {
  registered.push(schema);
}

export function registeredComponentSchemas(): Record<string, SchemaObject> {
  return Object.assign({}, ...registered.map((schema) => resourceSchemas(schema))) as Record<
    string,
    SchemaObject
  >;
}
