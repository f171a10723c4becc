/** The database and JWT settings (read by app-config, also needed by fleet-config). */

export interface MysqlDatabaseConfig {
  readonly type: 'mysql';
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  readonly poolSize: number;
}

export interface SqliteDatabaseConfig {
  readonly type: 'sqlite';
  /** Absolute path of the database file, or `:memory:`. */
  readonly path: string;
}

export type DatabaseConfig = MysqlDatabaseConfig | SqliteDatabaseConfig;

export interface JwtConfig {
  readonly secret?: string;
  readonly publicKey?: string;
  readonly jwksUri?: string;
  readonly issuer?: string;
  readonly audience?: string;
}
