import { getMetadataArgsStorage } from 'typeorm';

/**
 * Whether a column may hold NULL, read from the entities' TypeORM metadata (the same entities the
 * migrations mirror), so the document's `nullable` flags follow the data model. Asked when the
 * document is built, after the data source has loaded every entity. An unknown table or column
 * throws: a query schema naming a column no entity has is a bug to see at once.
 */
export function isNullableColumn(table: string, column: string): boolean {
  const storage = getMetadataArgsStorage();
  const entity = storage.tables.find((candidate) => candidate.name === table);
  if (entity === undefined) throw new Error(`OpenAPI: no entity maps the table '${table}'`);
  const definition = storage
    .filterColumns(entity.target)
    .find((candidate) => (candidate.options.name ?? candidate.propertyName) === column);
  if (definition === undefined) {
    throw new Error(`OpenAPI: the entity of '${table}' has no column '${column}'`);
  }
  return definition.options.nullable === true;
}
