// jest-expo, plus the ESM-only packages (.mjs) that the shared client (../clients/ts) imports.
const expo = require('jest-expo/jest-preset');

module.exports = {
  preset: 'jest-expo',
  testMatch: ['<rootDir>/test/**/*.test.ts?(x)'],
  setupFiles: ['<rootDir>/test/setup.ts'],
  // Modules imported from ../clients/ts find what they need here too.
  modulePaths: ['<rootDir>/node_modules'],
  transform: { ...expo.transform, '\\.mjs$': expo.transform['\\.[jt]sx?$'] },
  transformIgnorePatterns: [
    "node_modules/(?!((jest-)?react-native|@react-native(-community)?)|expo(nent)?|@expo(nent)?/.*|@expo-google-fonts/.*|react-navigation|@react-navigation/.*|@unimodules/.*|unimodules|sentry-expo|native-base|react-native-svg|@orpc/.*|@tanstack/.*|standard-navigation)",
  ],
};
