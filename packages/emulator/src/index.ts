/** @packageDocumentation A local digi.me for the demo, the examples and the tests: `startEmulator()` or the `digime-emulator` bin. */
export { type Account, type AccountJson, AccountStore, PROVIDERS, type ProviderName } from "./accounts.js";
export { createEmulator, type Emulator, type EmulatorOptions } from "./app.js";
export { clockFrom } from "./clock.js";
export type { AppEnv, EmulatorContext, EmulatorSettings, IdKind } from "./context.js";
export { PATHS } from "./context.js";
export {
  type ContractInput,
  contractInputSchema,
  createDevContract,
  type DevContract,
  type DevContractOptions,
  loadContractsFile,
  WRITE_APIS,
  type WriteApi,
} from "./contracts.js";
export { ApiError, type ApiErrorBody, type ApiErrorCode } from "./errors.js";
export {
  FAULT_STATUSES,
  type FaultDecision,
  FaultInjector,
  type FaultRule,
  type FaultRules,
  type FaultStatus,
  seeded,
} from "./faults.js";
export { DENIED_ERROR_CODE, INVALID_CODE_ERROR_CODE } from "./routes/consent.js";
export { FHIR_MAX_BYTES, FHIR_VERSIONS } from "./routes/fhir.js";
export type { LibraryFileJson } from "./routes/library.js";
export { SCHEMA_VERSION } from "./schema-migrations.js";
export { type RunningEmulator, type StartEmulatorOptions, startEmulator } from "./server.js";
export { ROUTES, type RouteName, type StatsSnapshot } from "./stats.js";
export type { Contract, FileSource, LibraryFile, Postbox, TokenRecord, User } from "./store.js";
export { Store, type StoreOptions } from "./store.js";
