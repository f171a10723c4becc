import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigFromEnvironment } from './src/config/load-env';
import { buildDataSourceOptions } from './src/database/database-options';
import { ENTITIES } from './src/entities';

/** The data source of the TypeORM CLI (`npm run migration:run`), built like the app's. */
export default new DataSource(
  buildDataSourceOptions(loadConfigFromEnvironment().database, { entities: ENTITIES }),
);
