/** @packageDocumentation A local digi.me for the demo, the examples and the tests: `startEmulator()` or the `digime-emulator` bin. */
export { createEmulator, type Emulator, type EmulatorOptions } from "./app.js";
export type { AppEnv, EmulatorContext, EmulatorSettings } from "./context.js";
export { PATHS } from "./context.js";
export {
  type ContractInput,
  contractInputSchema,
  createDevContract,
  type DevContract,
  type DevContractOptions,
  loadContractsFile,
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
export type { LibraryFileJson } from "./routes/library.js";
export { type RunningEmulator, type StartEmulatorOptions, startEmulator } from "./server.js";
export { ROUTES, type RouteName, type StatsSnapshot } from "./stats.js";
export type { Contract, LibraryFile, Postbox, TokenRecord, User } from "./store.js";
export { Store, type StoreOptions } from "./store.js";
