/**
 * Faults on the way to digi.me with an import contract (the `test/proof/faults.test.ts` rules, on
 * the import and FHIR routes): every answer says truly whether the data may be stored, checked
 * against what the library holds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../../src/client.ts";
import { errorOf } from "../support/answers.ts";
import { bytesOf } from "../support/bytes.ts";
import { digime, proxyScript } from "../support/digime-proxy.ts";
import { emulator } from "../support/emulator-admin.ts";
import { importedFiles, signedInImportUser } from "../support/import-users.ts";
import { postFhir, upload, uploadForm } from "../support/posts.ts";
import { ORIGIN } from "../support/test-env.ts";

afterEach(async () => {
  await digime("up");
  await emulator.clearFaults();
  await proxyScript.clear();
});

describe("faults on imports and FHIR pushes", () => {
  it("a burst of 429/503 is waited out by sdk-core: delivered, stored once", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    for (const status of [429, 503]) {
      await emulator.fault({ route: "import", failNext: 2, statuses: [status], retryAfterSeconds: 0 });
      const answer = await upload(browser, uploadForm(bytesOf(4000, status), undefined, `${status}.bin`));
      expect(answer.status, await answer.clone().text()).toBe(200);
    }
    expect((await importedFiles(digimeUser.id)).length).toBe(2);
    expect((await emulator.stats()).imports).toBe(2);
  });

  it("a 500 is DIGIME_ERROR, a gateway 502 DIGIME_OUTCOME_UNKNOWN: neither sent again by the Worker", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    await emulator.fault({ route: "import", failNext: 1, statuses: [500] });
    expect(await errorOf(await upload(browser, uploadForm("a")))).toMatchObject({
      status: 502,
      code: "DIGIME_ERROR",
    });
    await emulator.fault({ route: "import", failNext: 1, statuses: [502] });
    expect(await errorOf(await upload(browser, uploadForm("b")))).toMatchObject({
      status: 502,
      code: "DIGIME_OUTCOME_UNKNOWN",
    });
    expect((await emulator.stats()).requests.import).toBe(2);
    expect(await importedFiles(digimeUser.id)).toEqual([]);
  });

  it("an answer lost after digi.me stored the import: DIGIME_OUTCOME_UNKNOWN, stored once, mayHaveArrived", async () => {
    const { browser, digimeUser } = await signedInImportUser();
    await proxyScript.add({ route: "import", action: "lose-answer" });
    const client = createClient(ORIGIN, { fetch: browser.fetchForClient });
    const error = await client
      .upload(new Blob([bytesOf(5000, 3)]), undefined, { fileName: "lost.bin" })
      .catch((e) => e);
    expect(error).toMatchObject({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN", mayHaveArrived: true });
    expect((await proxyScript.state()).applied).toHaveLength(1);
    expect((await importedFiles(digimeUser.id)).length).toBe(1);
  });

  it("a FHIR push whose answer is lost: DIGIME_OUTCOME_UNKNOWN, stored once", async () => {
    const { browser, digimeUser } = await signedInImportUser({ push: true });
    const push = digimeUser.accounts.find((a) => a.type === "PUSH")?.id as string;
    await proxyScript.add({ route: "fhir", action: "lose-answer" });
    const answer = await postFhir(browser, { accountId: push, resource: { resourceType: "Observation" } });
    expect(await errorOf(answer)).toMatchObject({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN" });
    expect(await emulator.userFiles(digimeUser.id, "fhir")).toHaveLength(1);
  });

  it("digi.me unreachable: a 5xx of the documented kind, nothing stored; then it works", async () => {
    const { browser, digimeUser } = await signedInImportUser({ push: true });
    await digime("down");
    const down = await errorOf(await upload(browser, uploadForm("down")));
    expect(["DIGIME_UNREACHABLE_NOT_SENT", "DIGIME_OUTCOME_UNKNOWN"]).toContain(down.code);
    const accounts = await errorOf(await browser.fetch("/api/accounts"));
    expect(accounts).toMatchObject({ status: 503, code: "DIGIME_UNREACHABLE" });
    await digime("up");
    expect((await upload(browser, uploadForm("up"))).status).toBe(200);
    expect((await importedFiles(digimeUser.id)).length).toBe(1);
  });
});
