// Jest runs in native ESM mode (NestJS 12 is ESM-only): see package.json scripts for
// --experimental-vm-modules. ts-jest only transpiles; `npm run typecheck` checks types.
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

export default {
  // Per-project testTimeout is ignored by jest: this one covers the e2e and browser specs, which
  // wait out short configured session timeouts (seconds). Unit tests never come near it.
  testTimeout: 60_000,
  projects: [
    // The test helpers' own specs too (test/support): what the other tiers rely on is checked first.
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/support/**/*.spec.ts'] },
    // The in-process tier: the app in the test process on real Postgres and Redis, no nginx, no build.
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      // One Postgres and Redis for the whole tier, each spec file on databases of its own.
      globalSetup: '<rootDir>/test/integration/global-setup.js',
      globalTeardown: '<rootDir>/test/integration/global-teardown.js',
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
    },
  ],
};
