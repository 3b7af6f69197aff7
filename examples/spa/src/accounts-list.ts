/**
 * The user's accounts at digi.me (`GET /api/accounts` through the typed client), as a list: one
 * row per account, its service and kind. No token ever reaches the page: the Worker returns only
 * the accounts' public members.
 */
import type { AccountInfo } from "@digime-edge/edge-worker/client";
import { h } from "./dom.ts";

/** What the kinds of account are called on the page (digi.me's `type`). */
const KINDS: Record<string, string> = {
  IMPORTED: "files this app adds",
  PUSH: "takes health records",
  USER: "a source you connected",
};

/**
 * The account's name for people: its service provider, else its service type.
 *
 * @param account - An account as the Worker returns it.
 * @returns A short name.
 */
export function accountName(account: AccountInfo): string {
  return account.serviceProviderName ?? account.serviceTypeName;
}

/**
 * One line about the account: its service group, its kind, and since when it exists.
 *
 * @param account - An account as the Worker returns it.
 * @returns The line.
 */
export function accountDetails(account: AccountInfo): string {
  const since = Number.isFinite(account.createdDate)
    ? `since ${new Date(account.createdDate).toLocaleDateString("en", { dateStyle: "medium" })}`
    : "";
  const parts = [
    account.serviceGroupName,
    KINDS[account.type] ?? account.type,
    account.username,
    account.sample ? "sample data" : "",
    since,
  ];
  return parts.filter((part) => part).join(" · ");
}

/**
 * Shows `accounts` in `list`, replacing what was there.
 *
 * @param list - The `<ul>` to fill.
 * @param accounts - The user's accounts.
 */
export function renderAccounts(list: HTMLUListElement, accounts: readonly AccountInfo[]): void {
  list.replaceChildren(
    ...accounts.map((account) =>
      h(
        "li",
        { class: "account", "data-type": account.type, "data-account-id": account.id },
        h("span", { class: "account-icon", "aria-hidden": "true" }, accountName(account).slice(0, 1)),
        h(
          "div",
          { class: "account-main" },
          h("p", { class: "account-name" }, accountName(account)),
          h("p", { class: "account-meta" }, accountDetails(account)),
        ),
        h("span", { class: "badge" }, account.type),
      ),
    ),
  );
}
