// Jest's configuration (it was package.json's "jest" key). A JS file so that the MariaDB-only
// suites (`*.mysql.e2e-spec.ts`) are left out when TEST_MYSQL_URL names no server: they have
// nothing to run on SQLite, and an empty suite is an error, not a pass.
const config = {
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  maxWorkers: 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      roots: ['<rootDir>/src', '<rootDir>/bench', '<rootDir>/packages/client/src'],
      testRegex: '\\.spec\\.ts$',
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          {
            tsconfig: 'tsconfig.jest.json',
          },
        ],
        '^.+/node_modules/(file-type|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec)/.+\\.js$':
          [
            'ts-jest',
            {
              tsconfig: 'tsconfig.jest-esm.json',
            },
          ],
      },
      moduleFileExtensions: ['ts', 'js', 'json'],
      transformIgnorePatterns: [
        '/node_modules/(?!(file-type|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec)/)',
      ],
      moduleNameMapper: {
        '^file-type$': '<rootDir>/node_modules/file-type/index.js',
      },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          {
            tsconfig: 'tsconfig.jest.json',
          },
        ],
        '^.+/node_modules/(file-type|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec)/.+\\.js$':
          [
            'ts-jest',
            {
              tsconfig: 'tsconfig.jest-esm.json',
            },
          ],
      },
      moduleFileExtensions: ['ts', 'js', 'json'],
      transformIgnorePatterns: [
        '/node_modules/(?!(file-type|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec)/)',
      ],
      moduleNameMapper: {
        '^file-type$': '<rootDir>/node_modules/file-type/index.js',
      },
    },
  ],
  testTimeout: 60000,
};

if (!process.env.TEST_MYSQL_URL) {
  const e2e = config.projects.find((project) => project.displayName === 'e2e');
  e2e.testPathIgnorePatterns = ['/node_modules/', '\\.mysql\\.e2e-spec\\.ts$'];
}

module.exports = config;
