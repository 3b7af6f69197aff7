/** `readAccounts`: the user's accounts (`GET permission-access/accounts`), as the official SDK lists them. */
import type { ClientContext } from "./config.js";
import { array, check, custom, number, object, optional, string } from "./internal/checks.js";
import { invalidResponse } from "./internal/response-token.js";
import { type AuthorizedOptions, sendAuthorized } from "./request/authorized.js";
import { authorizedOptionsSchema, parseInput } from "./schemas.js";
import type { UserAccessToken } from "./types.js";

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

/** One of the user's accounts, as digi.me answers it (members beyond these are kept as given). */
export interface Account {
  id: string;
  /** Matches the `accountReference` an import contract's sign-in returns. */
  reference: string;
  type: AccountType;
  createdDate: number;
  serviceGroupId: number;
  serviceGroupName: string;
  serviceTypeId: number;
  serviceTypeName: string;
  serviceTypeReference: string;
  sourceId: number;
  updatedDate: number;
  accessTokenStatus?: { authorized: boolean; expiresAt?: number };
  serviceProviderId?: number;
  serviceProviderName?: string;
  serviceProviderReference?: string;
  username?: string;
  providerFavIcon?: string;
  providerLogo?: string;
  sample?: boolean;
  [member: string]: unknown;
}

/** Options of `readAccounts`. */
export type ReadAccountsOptions = AuthorizedOptions;

/** What `readAccounts` answers. */
export interface ReadAccountsResult {
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
  const { data, userAccessToken } = await sendAuthorized(context, checked, {
    what,
    method: "GET",
    url: `${context.config.baseUrl}permission-access/accounts`,
    headers: { Accept: "application/json" },
  });
  const result = check(accountsSchema(), data);
  if (!result.ok) {
    const [issue] = result.issues;
    throw invalidResponse(what, `not an array of accounts (${issue?.path.join(".")} ${issue?.message})`);
  }
  // The answer as given: members the SDK does not check are kept.
  return { accounts: data as Account[], userAccessToken };
}
