import { Module } from '@nestjs/common';
import {
  FieldsPipe,
  FilterPipe,
  IncludePipe,
  PagePipe,
  SortPipe,
} from './pipes/query-parameter.pipes';
import { ResourceReader } from './reader/resource-reader';

const PIPES = [IncludePipe, FieldsPipe, FilterPipe, SortPipe, PagePipe];

/**
 * The shared query engine: the parameter pipes (applied by `@ResourceQuery`) and the one reader every
 * resource's service calls. Needs the app config and a TypeORM data source from the app.
 */
@Module({
  providers: [ResourceReader, ...PIPES],
  exports: [ResourceReader, ...PIPES],
})
export class QueryModule {}
