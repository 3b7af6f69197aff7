/** `readAccounts`: the user's accounts (`GET permission-access/accounts`), as the official SDK lists them. */
import type { ClientContext } from "./config.ts";
import { array, check, custom, number, object, optional, parseInput, string } from "./internal/checks.ts";
import { type AuthorizedOptions, sendAuthorized } from "./request/authorized.ts";
import { invalidResponse } from "./request/response-token.ts";
import { authorizedOptionsSchema } from "./schemas.ts";
import type { UserAccessToken } from "./types.ts";

/** Every `type` an account can have. */
export type AccountType =
  | "USER"
  | "ADMIN"
  | "EVENT"
  | "GROUP"
  | "BANK"
  | "CREDIT_CARD"
  | "IMPORTED"
  | "INVESTMENT"
  | "INSURANCE"
  | "LOAN"
  | "REWARD"
  | "BILL"
  | "PUSH";

const ACCOUNT_TYPES =
  "USER ADMIN EVENT GROUP BANK CREDIT_CARD IMPORTED INVESTMENT INSURANCE LOAN REWARD BILL PUSH";

/** One of the user's accounts, as digi.me returns it (members beyond these are kept as given). */
export interface Account {
  /** The account's id (a provider push's `accountId`). */
  id: string;
  /** Matches the `accountReference` an import contract's sign-in returns. */
  reference: string;
  /** What kind of account it is; `PUSH` for a health provider that takes FHIR pushes. */
  type: AccountType;
  /** When it was created (ms since the epoch). */
  createdDate: number;
  /** The service group, e.g. health. */
  serviceGroupId: number;
  /** The service group's name. */
  serviceGroupName: string;
  /** The service type. */
  serviceTypeId: number;
  /** The service type's name. */
  serviceTypeName: string;
  /** The service type's reference. */
  serviceTypeReference: string;
  /** The source (service) it was onboarded from. */
  sourceId: number;
  /** When it last changed (ms since the epoch). */
  updatedDate: number;
  /** Whether digi.me holds a working authorization for the account, and until when. */
  accessTokenStatus?: { authorized: boolean; expiresAt?: number };
  /** The service provider, when there is one (not checked by the SDK). */
  serviceProviderId?: number;
  /** The service provider's name (not checked by the SDK). */
  serviceProviderName?: string;
  /** The service provider's reference (not checked by the SDK). */
  serviceProviderReference?: string;
  /** The user's name at the service (not checked by the SDK). */
  username?: string;
  /** The provider's icon URL (not checked by the SDK). */
  providerFavIcon?: string;
  /** The provider's logo URL (not checked by the SDK). */
  providerLogo?: string;
  /** Whether the account holds sample data (not checked by the SDK). */
  sample?: boolean;
  /** Whatever else digi.me sends, as it sent it. */
  [member: string]: unknown;
}

/** Options of `readAccounts`. */
export type ReadAccountsOptions = AuthorizedOptions;

/** What `readAccounts` returns. */
export interface ReadAccountsResult {
  /** The user's accounts, as digi.me returned them (checked, not copied). */
  accounts: Account[];
  /** The token passed in, or the refreshed one. Keep it. */
  userAccessToken: UserAccessToken;
}

// The members the protocol says every account has, with their types; other members are not checked.
// Made when used, so that a bundle without readAccounts holds none of it.
const accountsSchema = () =>
  array(
    object({
      id: string(),
      reference: string(),
      type: custom(
        (v) => typeof v === "string" && ACCOUNT_TYPES.split(" ").includes(v),
        "is not a known type",
      ),
      createdDate: number(),
      serviceGroupId: number(),
      serviceGroupName: string(),
      serviceTypeId: number(),
      serviceTypeName: string(),
      serviceTypeReference: string(),
      sourceId: number(),
      updatedDate: number(),
      accessTokenStatus: optional(
        object({
          authorized: custom((v) => typeof v === "boolean", "must be a boolean"),
          expiresAt: optional(number()),
        }),
      ),
    }),
  );

/**
 * Lists the user's accounts (`GET permission-access/accounts`); on `401 InvalidToken` (or a bare
 * 401) refreshes the token once and asks again, as `pushData` does.
 * @throws TypeValidationError before any request for bad options; ServerError (code
 *   `INVALID_RESPONSE` when the answer is not an array of accounts), NetworkError,
 *   TokenVerificationError otherwise.
 */
export async function readAccounts(
  context: ClientContext,
  options: ReadAccountsOptions,
): Promise<ReadAccountsResult> {
  const checked = parseInput(
    authorizedOptionsSchema(),
    options,
    "readAccounts options",
  ) as ReadAccountsOptions;
  const what = "readAccounts";
  const { data, userAccessToken } = await sendAuthorized(
    context,
    checked,
    {
      what,
      method: "GET",
      url: `${context.config.baseUrl}permission-access/accounts`,
      headers: { Accept: "application/json" },
    },
    options.contractDetails,
  );
  const result = check(accountsSchema(), data);
  if (!result.ok) {
    const [issue] = result.issues;
    throw invalidResponse(what, `not an array of accounts (${issue?.path.join(".")} ${issue?.message})`);
  }
  // The answer as given: members the SDK does not check are kept.
  return { accounts: data as Account[], userAccessToken };
}
