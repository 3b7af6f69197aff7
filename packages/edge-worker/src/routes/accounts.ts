import type { Account } from "@digime-edge/sdk-core";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import { contractDetails, describeDigiMeFailure, failureToError, getSdk } from "../lib/digime.ts";
import { withUserToken } from "../lib/user-call.ts";
import { requireSession } from "../middleware/session.ts";

/** One of the user's accounts as `GET /api/accounts` returns it: digi.me's members, by name. */
export type AccountInfo = Pick<
  Account,
  | "id"
  | "reference"
  | "type"
  | "createdDate"
  | "updatedDate"
  | "serviceGroupId"
  | "serviceGroupName"
  | "serviceTypeId"
  | "serviceTypeName"
  | "serviceTypeReference"
  | "sourceId"
  | "accessTokenStatus"
  | "serviceProviderId"
  | "serviceProviderName"
  | "serviceProviderReference"
  | "username"
  | "providerFavIcon"
  | "providerLogo"
  | "sample"
>;

/** What `GET /api/accounts` returns. Never a token. */
export interface AccountsResult {
  /** The user's accounts (a `PUSH` account's `id` is the `accountId` of `POST /api/fhir/{version}`). */
  accounts: AccountInfo[];
}

/**
 * The members returned, and only these: digi.me may add members, and nothing unknown (a token, say)
 * is passed on to the browser.
 */
export const ACCOUNT_MEMBERS = [
  "id",
  "reference",
  "type",
  "createdDate",
  "updatedDate",
  "serviceGroupId",
  "serviceGroupName",
  "serviceTypeId",
  "serviceTypeName",
  "serviceTypeReference",
  "sourceId",
  "accessTokenStatus",
  "serviceProviderId",
  "serviceProviderName",
  "serviceProviderReference",
  "username",
  "providerFavIcon",
  "providerLogo",
  "sample",
] as const satisfies readonly (keyof AccountInfo)[];

function toInfo(account: Account): AccountInfo {
  const info: Record<string, unknown> = {};
  for (const member of ACCOUNT_MEMBERS) if (account[member] !== undefined) info[member] = account[member];
  const status = account.accessTokenStatus;
  if (status) {
    info.accessTokenStatus = {
      authorized: status.authorized,
      ...(status.expiresAt === undefined ? {} : { expiresAt: status.expiresAt }),
    };
  }
  return info as AccountInfo;
}

/**
 * `GET /api/accounts`: the signed-in user's accounts at digi.me (sdk-core's `readAccounts`, the
 * answer checked there), for either write API. Counts against the user's rate budget.
 */
export const accounts = new Hono<AppEnv>().get("/accounts", requireSession(), async (c) => {
  const config = c.get("config");
  const listed = await withUserToken(c, ({ token, refresh }) =>
    getSdk(config).readAccounts({
      contractDetails: contractDetails(config),
      userAccessToken: token,
      refresh,
    }),
  ).catch((error: unknown) => {
    throw error instanceof ApiError ? error : failureToError(describeDigiMeFailure(error));
  });
  return c.json({ accounts: listed.accounts.map(toInfo) } satisfies AccountsResult);
});
