import { getMetadataArgsStorage } from 'typeorm';

/**
 * The columns of an entity's table, in declaration order, read from TypeORM's decorator metadata:
 * the one description of a table that the seed, the test helpers and the write path share.
 */
export function entityColumns(entity: abstract new () => unknown): string[] {
  return getMetadataArgsStorage()
    .filterColumns(entity)
    .map((column) => column.options.name ?? column.propertyName);
}

/** The pivot table of a many-to-many `relation` on `entity`, and its two keys, from its `@JoinTable`. */
export function joinTableOf(
  entity: abstract new () => unknown,
  relation: string,
): { pivotTable: string; pivotOwnerKey: string; pivotRelatedKey: string } {
  const joinTable = getMetadataArgsStorage().findJoinTable(entity, relation);
  const owner = joinTable?.joinColumns?.[0]?.name;
  const related = joinTable?.inverseJoinColumns?.[0]?.name;
  if (joinTable?.name === undefined || owner === undefined || related === undefined) {
    throw new Error(`${entity.name}.${relation} has no named @JoinTable`);
  }
  return { pivotTable: joinTable.name, pivotOwnerKey: owner, pivotRelatedKey: related };
}

/** The columns of a pivot table without an entity: its keys, then the timestamps every pivot has. */
export function joinTableColumns(entity: abstract new () => unknown, relation: string): string[] {
  const { pivotOwnerKey, pivotRelatedKey } = joinTableOf(entity, relation);
  return [pivotRelatedKey, pivotOwnerKey, 'created_at', 'updated_at'];
}
