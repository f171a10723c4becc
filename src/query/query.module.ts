import { Module } from '@nestjs/common';
import { ResourceReader } from './reader/resource-reader';

/**
 * The shared query engine: the parameter pipes (applied by `@ResourceQuery`) and the one reader every
 * resource's service calls. Needs the app config and a TypeORM data source from the app.
 */
@Module({
  providers: [ResourceReader],
  exports: [ResourceReader],
})
export class QueryModule {}
