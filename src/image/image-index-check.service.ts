import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { describeUnserved, findUnservedIndexes, type IndexRequirement } from '../query';
import { IMAGE_QUERY_SCHEMA } from './image.query-schema';

/**
 * At start, checks that every filterable and sortable image column and every pivot join of the image
 * query schema is served by an index of the database at hand, and logs a warning naming each one
 * that is not (a missing index makes some lists scan the whole table). Never stops the start.
 */
@Injectable()
export class ImageIndexCheckService implements OnApplicationBootstrap {
  private readonly logger = new Logger('IndexCheck');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.check();
    } catch (error) {
      this.logger.warn(
        `Could not read the indexes of the database: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** The requirements no index serves; each is logged as a warning. */
  async check(): Promise<IndexRequirement[]> {
    const unserved = await findUnservedIndexes(this.dataSource, IMAGE_QUERY_SCHEMA);
    for (const requirement of unserved) {
      this.logger.warn(`Missing index: ${describeUnserved(requirement)}`);
    }
    return unserved;
  }
}
