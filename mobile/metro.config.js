// The shared TypeScript client lives outside this folder (../clients/ts): Metro must watch it.
const path = require('node:path');
const { getDefaultConfig } = require('expo/metro-config');

const config = getDefaultConfig(__dirname);
config.watchFolders = [path.resolve(__dirname, '../clients/ts')];
// One copy of each package (React above all), whichever folder a module is imported from.
config.resolver.nodeModulesPaths = [path.resolve(__dirname, 'node_modules')];
config.resolver.disableHierarchicalLookup = true;
module.exports = config;
