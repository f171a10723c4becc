// Jest's configuration (it was package.json's "jest" key). A JS file so that the MariaDB-only
// suites (`*.mysql.e2e-spec.ts`) are left out when TEST_MYSQL_URL names no server: they have
// nothing to run on SQLite, and an empty suite is an error, not a pass.

// ESM-only packages (file-type and what it imports) that ts-jest compiles to CommonJS.
const ESM_PACKAGES =
  'file-type|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec';

/** What both projects share: TypeScript through ts-jest, and the ESM packages compiled too. */
const compiled = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
    [`^.+/node_modules/(${ESM_PACKAGES})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: 'tsconfig.jest-esm.json' },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES})/)`],
  moduleNameMapper: {
    '^file-type$': '<rootDir>/node_modules/file-type/index.js',
  },
};

const config = {
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  maxWorkers: 2,
  projects: [
    {
      ...compiled,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/bench', '<rootDir>/packages/client/src'],
      testRegex: '\\.spec\\.ts$',
    },
    {
      ...compiled,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
    },
  ],
  testTimeout: 60000,
};

if (!process.env.TEST_MYSQL_URL) {
  const e2e = config.projects.find((project) => project.displayName === 'e2e');
  e2e.testPathIgnorePatterns = ['/node_modules/', '\\.mysql\\.e2e-spec\\.ts$'];
}

module.exports = config;
