import nx from '@nx/eslint-plugin';

const appScopes = ['gcp-token', 'llm-proxy', 'api-key-manager', 'auth-manager', 'executor-auth'];

/** Apps use libs, libs use libs, no project uses an app; each app's scope sees only itself and `scope:shared`. */
function moduleBoundaries({ libsMayUseTestHelpers }) {
  const libDependencies = libsMayUseTestHelpers ? ['type:lib', 'type:testing'] : ['type:lib'];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      banTransitiveDependencies: true,
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: libDependencies },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        // The suite's end-to-end project and the deployment checks: test code over the libs, never an app's code.
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        ...appScopes.map((scope) => ({
          sourceTag: `scope:${scope}`,
          onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'],
        })),
      ],
    },
  ];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.nx', '**/coverage', '**/.data', 'bench/results/**'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ libsMayUseTestHelpers: false }),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Specs may use the test helpers; production code may not.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ libsMayUseTestHelpers: true }),
    },
  },
];
