export {
  BaseEnv,
  checkBaseEnv,
  ConfigError,
  JsonText,
  loadBaseConfig,
  parseEnv,
  toBaseConfig,
  type BaseConfig,
  type Endpoints,
} from './config.js';
export {
  DEFAULT_TIERS,
  resolveTiers,
  TIER_NAMES,
  TierLimits,
  TierName,
  TierTable,
  type TierOverrides,
} from './tiers.js';
export { Provider, PROVIDER_BASE_URL_ENV, PROVIDERS, VENDOR_BASE_URLS } from './providers.js';
export { AGENT_CLIS_FILE, agentBinPath, agentCacheDir, AgentCliPin, AgentCliPins, agentCliPins, agentInstallDir, installedAgentBins, REAL_CLI_UNTESTED } from './agent-clis.js';
export { costOf, DEFAULT_PRICES, ModelPrice, PriceTable, priceFor } from './prices.js';
