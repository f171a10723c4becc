import { Permission } from '../../src/auth/permissions';
import { FaultProxy } from './fault-proxy';
import { insertImageRow } from './image-rows';
import { listenOnFreePort } from './ports';
import { createTestApp, TestApp, TestAppOptions } from './test-app';
import { createTestDatabase, TestDatabase } from './test-database';
import { tokenWith } from './tokens';

/** The service on MySQL/MariaDB through a fault proxy, listening on a port the kernel picks. */
export interface ProxiedApp {
  readonly proxy: FaultProxy;
  readonly testApp: TestApp;
  /** The database as the server holds it (not through the proxy). */
  readonly database: TestDatabase;
  readonly baseUrl: string;
  readonly token: string;
  readonly knownImageId: number;
  close(): Promise<void>;
}

export async function startProxiedApp(options: TestAppOptions = {}): Promise<ProxiedApp> {
  const database = await createTestDatabase('mysql');
  if (database.config.type !== 'mysql') throw new Error('expected a MySQL test database');
  const proxy = new FaultProxy(database.config.host, database.config.port);
  await proxy.start();
  const testApp = await createTestApp('mysql', {
    ...options,
    database: {
      ...database,
      config: { ...database.config, host: '127.0.0.1', port: proxy.port },
    },
  });
  const port = await listenOnFreePort(testApp.app);
  const known = await insertImageRow(testApp.dataSource);
  return {
    proxy,
    testApp,
    database,
    baseUrl: `http://127.0.0.1:${port}`,
    token: tokenWith(Permission.CreateImage, Permission.UpdateImage),
    knownImageId: known.image_id,
    close: async () => {
      await proxy.restore().catch(() => undefined);
      await testApp.close();
      await proxy.stop();
      await database.drop();
    },
  };
}
