/** @packageDocumentation A local digi.me for the demo, the examples and the tests: `startEmulator()` or the `digime-emulator` bin. */
export { type Account, type AccountJson, AccountStore, PROVIDERS, type ProviderName } from "./accounts.ts";
export { createEmulator, type Emulator, type EmulatorOptions } from "./app.ts";
export { clockFrom } from "./clock.ts";
export type { AppEnv, EmulatorContext, EmulatorSettings, IdKind } from "./context.ts";
export { PATHS } from "./context.ts";
export {
  type ContractInput,
  contractInputSchema,
  createDevContract,
  type DevContract,
  type DevContractOptions,
  loadContractsFile,
  WRITE_APIS,
  type WriteApi,
} from "./contracts.ts";
export { ApiError, type ApiErrorBody, type ApiErrorCode } from "./errors.ts";
export {
  FAULT_STATUSES,
  type FaultDecision,
  FaultInjector,
  type FaultRule,
  type FaultRules,
  type FaultStatus,
  seeded,
} from "./faults.ts";
export { DENIED_ERROR_CODE, INVALID_CODE_ERROR_CODE } from "./routes/consent.ts";
export { FHIR_MAX_BYTES, FHIR_VERSIONS } from "./routes/fhir.ts";
export type { LibraryFileJson } from "./routes/library.ts";
export { SCHEMA_VERSION } from "./schema-migrations.ts";
export { type RunningEmulator, type StartEmulatorOptions, startEmulator } from "./server.ts";
export { ROUTES, type RouteName, type StatsSnapshot } from "./stats.ts";
export type { Contract, FileSource, LibraryFile, Postbox, TokenRecord, User } from "./store.ts";
export { Store, type StoreOptions } from "./store.ts";
