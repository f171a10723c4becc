import type { DataSource } from 'typeorm';
import { readDataVersion } from '../../database/change-versions';
import { SharedRead } from '../../database/shared-read';
import { belongsToOf, includesOf } from '../query-plan';
import type { IncludeDefinition, ParsedQuery, RootResourceSchema } from '../query.types';
import type { BelongsToRows, IncludedRowGroups, RawRow } from '../resource-renderer';
import {
  KeysetPage,
  RowKey,
  selectIncluded,
  selectOne,
  selectPage,
  withFirstParameter,
} from '../typeorm/apply-query';
import { loadBelongsTo, loadIncludes } from '../typeorm/include-loader';
import { readTableIndexes, TableIndexes } from '../typeorm/index-check';
import { keysetIndexFor, withForcedIndex } from '../typeorm/index-hint';
import { RawReader } from '../typeorm/raw-reader';
import type { SqlStatement } from '../typeorm/sql-fragments';

/**
 * The SQL of the shared reader, for any resource schema: pages, one row, included relations and
 * the data version, run through `RawReader` (no TypeORM query runner per statement), with the
 * statements of offset pages, of one row and of included relations kept per parsed query, and
 * MySQL keyset pages naming their index (index-hint.ts).
 */
export class SqlRowSource {
  private static readonly sources = new WeakMap<DataSource, SqlRowSource>();

  private constructor(
    private readonly dataSource: DataSource,
    private readonly reader: RawReader,
    private readonly offsetPages: WeakMap<ParsedQuery, SqlStatement>,
    private readonly oneStatements: WeakMap<ParsedQuery, SqlStatement>,
    private readonly includedStatements: WeakMap<ParsedQuery, Map<IncludeDefinition, SqlStatement>>,
    /** Each table's indexes, read from the catalogue once (keyset pages name theirs on MySQL). */
    private readonly indexes: Map<string, Promise<TableIndexes>>,
    /**
     * The data version, one statement for all the requests that ask while it waits
     * (shared-read.ts), under the earliest deadline of the requests it serves.
     */
    private readonly version: SharedRead<string>,
    /** This request's database deadline (none: the row source of the data source). */
    private readonly deadline?: number,
  ) {}

  /** The row source of a data source (one per data source). */
  static of(dataSource: DataSource): SqlRowSource {
    let source = SqlRowSource.sources.get(dataSource);
    if (source === undefined) {
      const reader = RawReader.of(dataSource);
      source = new SqlRowSource(
        dataSource,
        reader,
        new WeakMap(),
        new WeakMap(),
        new WeakMap(),
        new Map(),
        new SharedRead((deadline) =>
          readDataVersion(deadline === undefined ? reader : reader.within(deadline)),
        ),
      );
      SqlRowSource.sources.set(dataSource, source);
    }
    return source;
  }

  /** This row source for one request, whose statements share its database deadline. */
  within(deadline: number): SqlRowSource {
    const reader = this.reader.within(deadline);
    if (reader === this.reader) return this;
    return new SqlRowSource(
      this.dataSource,
      reader,
      this.offsetPages,
      this.oneStatements,
      this.includedStatements,
      this.indexes,
      this.version,
      deadline,
    );
  }

  /**
   * A page as raw rows, in ONE statement selecting only the needed columns, with one row more than
   * the page size when a next page exists (see `selectPage`).
   */
  page(schema: RootResourceSchema, query: ParsedQuery, keyset?: KeysetPage): Promise<RawRow[]> {
    // Not an async function: the common case hands the reader's promise on as it is.
    if (keyset === undefined) return this.reader.all(this.offsetPageStatement(schema, query));
    const statement = selectPage(this.reader.dialect, schema, query, keyset);
    if (keyset.values === undefined || !this.isMysql) return this.reader.all(statement);
    return this.keysetPageWithHint(schema, query, statement);
  }

  /** One row by its key, whatever its soft-delete state (while its to-one relations are visible). */
  async one(
    schema: RootResourceSchema,
    query: ParsedQuery,
    key: RowKey,
  ): Promise<RawRow | undefined> {
    const rows = await this.reader.all(this.oneStatement(schema, query, key));
    return rows[0];
  }

  /** The included relations of some rows: one query per included relation, none per row. */
  included(
    schema: RootResourceSchema,
    query: ParsedQuery,
    ownerIds: readonly (number | string)[],
  ): Promise<IncludedRowGroups[]> {
    const includes = includesOf(schema.includes, query.include);
    if (!this.reader.dialect.bindsLists) {
      // The text names each owner id (`IN (?, ?)`): built per request.
      return loadIncludes(this.reader, includes, query, ownerIds);
    }
    return loadIncludes(this.reader, includes, query, ownerIds, (include) =>
      this.includedStatement(include, query, ownerIds),
    );
  }

  /** The included to-one relations of some rows: one query per relation. */
  belongsTo(
    schema: RootResourceSchema,
    query: ParsedQuery,
    rows: readonly RawRow[],
  ): Promise<BelongsToRows[]> {
    return loadBelongsTo(this.reader, belongsToOf(schema, query.include), query, rows);
  }

  /**
   * The change versions of every table the reads render from (see change-versions.ts), read after
   * this call: concurrent callers share the statement.
   */
  dataVersion(): Promise<string> {
    return this.version.get(this.deadline);
  }

  /**
   * The statement of an offset page, built once per query object: a query string seen before comes
   * back as the same (frozen) ParsedQuery (`ParsedQueryCache`), so its statement is reused; the
   * entry goes when the query object does.
   */
  private offsetPageStatement(schema: RootResourceSchema, query: ParsedQuery): SqlStatement {
    let statement = this.offsetPages.get(query);
    if (statement === undefined) {
      statement = selectPage(this.reader.dialect, schema, query);
      this.offsetPages.set(query, statement);
    }
    return statement;
  }

  /**
   * The statement of one row by a scalar key, built once per query object as the offset pages'
   * are, and bound to each key (`withFirstParameter`). A composite key's text depends on its parts.
   */
  private oneStatement(schema: RootResourceSchema, query: ParsedQuery, key: RowKey): SqlStatement {
    if (typeof key === 'object') return selectOne(this.reader.dialect, schema, query, key);
    const statement = this.oneStatements.get(query);
    if (statement !== undefined) return withFirstParameter(statement, key);
    const built = selectOne(this.reader.dialect, schema, query, key);
    this.oneStatements.set(query, built);
    return built;
  }

  /** An included relation's statement, built once per query object and bound to each page's ids. */
  private includedStatement(
    include: IncludeDefinition,
    query: ParsedQuery,
    ownerIds: readonly (number | string)[],
  ): SqlStatement {
    let statements = this.includedStatements.get(query);
    if (statements === undefined) {
      statements = new Map();
      this.includedStatements.set(query, statements);
    }
    const statement = statements.get(include);
    if (statement !== undefined) return withFirstParameter(statement, ownerIds);
    const built = selectIncluded(this.reader.dialect, include, query, ownerIds);
    statements.set(include, built);
    return built;
  }

  /** MySQL/MariaDB: a keyset page after a position names the index of its sort (see index-hint.ts). */
  private async keysetPageWithHint(
    schema: RootResourceSchema,
    query: ParsedQuery,
    statement: SqlStatement,
  ): Promise<RawRow[]> {
    const index = keysetIndexFor(schema, query, await this.tableIndexes(schema.table));
    if (index === undefined) return this.reader.all(statement);
    try {
      return await this.reader.all({
        ...statement,
        sql: withForcedIndex(this.dataSource, statement.sql, schema.table, index),
      });
    } catch (error) {
      // The index went away since the catalogue was read: read it again next time; no hint now.
      if ((error as { code?: unknown }).code !== 'ER_KEY_DOES_NOT_EXITS') throw error;
      this.indexes.delete(schema.table);
      return this.reader.all(statement);
    }
  }

  private tableIndexes(table: string): Promise<TableIndexes> {
    let indexes = this.indexes.get(table);
    if (indexes === undefined) {
      indexes = readTableIndexes(this.dataSource, [table]).catch((error: unknown) => {
        this.indexes.delete(table);
        throw error;
      });
      this.indexes.set(table, indexes);
    }
    return indexes;
  }

  private get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql';
  }
}
