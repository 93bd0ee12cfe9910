export { endpointsPath, loadAdminConfig, LocalEndpoints, withLocalEndpoints, writeLocalEndpoints } from './local-endpoints.js';
export { credentialsPath, LocalCredentials, newLocalCredentials, readLocalCredentials, writeLocalCredentials, writePrivateFile } from './local-credentials.js';
export { stopWhenParentExits } from './parent-watch.js';
export { findRepoRoot } from './repo-root.js';
