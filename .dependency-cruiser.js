// Which folder may import which, checked by `npm run lint` (a violation names the rule and the
// import). Dependencies point down: from the app's composition (src/*.ts) through the feature
// folders to the foundation below them, and from test/ and scripts/ to the tools/ both use.

/** The foundation: what any feature may use, and which uses no feature. */
const FOUNDATION = '^src/(common|config|crypto|database|passwords|redis|users)/';

export default {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules that import each other cannot be read, tested or moved one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Two folders under src/ that import each other are one tangle: move what both need down a level.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'foundation-not-to-features',
      comment:
        'common, config, crypto, database, passwords, redis and users serve every feature and know none of them (nor the app composition in src/*.ts).',
      severity: 'error',
      from: { path: FOUNDATION },
      to: { path: '^src/', pathNot: FOUNDATION },
    },
    {
      name: 'nothing-imports-pages',
      comment:
        'The pages use the features’ services; no feature depends on how a page renders. Only the app composition (src/*.ts) imports pages/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(pages/|[^/]+$)' },
      to: { path: '^src/pages/' },
    },
    {
      name: 'src-not-to-tests-or-tools',
      comment: 'The app never loads test code, the stack harness or the scripts (they are not in its image).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|tools|scripts)/' },
    },
    {
      name: 'tools-not-to-tests-or-scripts',
      comment: 'tools/ is what test/ and scripts/ share: it imports neither.',
      severity: 'error',
      from: { path: '^tools/' },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'scripts-not-to-tests',
      comment: 'What a script shares with the tests lives in tools/.',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^test/' },
    },
    {
      name: 'tests-not-to-scripts',
      comment: 'What a test shares with the scripts lives in tools/.',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'resolvable',
      comment:
        'An import the checker cannot resolve would pass every rule above unchecked. The pages’ browser script imports by URL what the app serves (src/pages/views.ts), which only a browser resolves.',
      severity: 'error',
      from: { pathNot: '^src/views/static/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` is an arrow too, though tsc erases it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages as Node does for this ESM project (some, e.g. cookie, have only `exports`).
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
