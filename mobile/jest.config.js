// jest-expo, plus the ESM-only packages (.mjs) that the shared client (../clients/ts) imports.
const expo = require('jest-expo/jest-preset');

// One copy of these, whichever folder imports them: @perry/client/react (../clients/ts, which
// installs them too for its own checks) must use the app's, or hooks and React Query's context
// break. Jest resolves from a module's real path, so it would find the other copy first. (Metro:
// resolver.nodeModulesPaths in metro.config.js.)
const ONE_COPY = ['react', '@tanstack/react-query'];

module.exports = {
  preset: 'jest-expo',
  testMatch: ['<rootDir>/test/**/*.test.ts?(x)'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  // Modules imported from ../clients/ts find what they need here too.
  modulePaths: ['<rootDir>/node_modules'],
  moduleNameMapper: {
    ...expo.moduleNameMapper,
    ...Object.fromEntries(ONE_COPY.map((name) => [`^${name}($|/.*)`, `<rootDir>/node_modules/${name}$1`])),
  },
  transform: { ...expo.transform, '\\.mjs$': expo.transform['\\.[jt]sx?$'] },
  transformIgnorePatterns: [
    "node_modules/(?!((jest-)?react-native|@react-native(-community)?)|expo(nent)?|@expo(nent)?/.*|@expo-google-fonts/.*|react-navigation|@react-navigation/.*|@unimodules/.*|unimodules|sentry-expo|native-base|react-native-svg|@orpc/.*|@tanstack/.*|standard-navigation)",
  ],
};
