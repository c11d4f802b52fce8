export { createOrchestrator, StartupRefused, ORCHESTRATOR_VERSION, type Orchestrator, type OrchestratorOptions } from "./create-orchestrator.js";
export { loadOrchestratorConfig, loadOrchestratorConfigWithPins, ConfigError, defaultDataDir, ignoredOrchestratorEnv } from "./config/load-config.js";
export { createLogger } from "./logging/logger.js";
