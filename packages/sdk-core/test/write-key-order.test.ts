import { describe, expect, it } from "vitest";
import { TypeValidationError } from "../src/index.ts";
import { countingFetch } from "./support/counting-fetch.ts";
import { contractDetails } from "./support/fake-digime.ts";
import { sdkFor, useFakeDigime, writeOptionsFor } from "./support/use-fake-digime.ts";

const fake = useFakeDigime();

const descriptor = { mimeType: "application/octet-stream", accounts: [{ accountId: "acc-1" }] };
const badContract = {
  ...contractDetails,
  privateKey: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
};

// `write` seals bytes while the contract key is looked up; a stream waits for both keys.
describe("write with a contract key that does not import", () => {
  it("leaves a stream untouched (not locked) and sends nothing", async () => {
    const counted = countingFetch();
    const client = sdkFor(fake, { fetch: counted.fetch });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.close();
      },
    });
    const options = { ...writeOptionsFor(fake, stream, descriptor), contractDetails: badContract };
    const error = await client.write(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeValidationError);
    expect((error as TypeValidationError).issues.map((i) => i.path)).toContainEqual([
      "contractDetails",
      "privateKey",
    ]);
    expect(stream.locked).toBe(false);
    expect(counted.calls).toBe(0);
  });

  it("with bytes, is refused as before: no request, the key named", async () => {
    const counted = countingFetch();
    const client = sdkFor(fake, { fetch: counted.fetch });
    const options = {
      ...writeOptionsFor(fake, new Uint8Array(2000), descriptor),
      contractDetails: badContract,
    };
    const error = await client.write(options).catch((e: unknown) => e);
    expect((error as TypeValidationError).code).toBe("KEY_IMPORT");
    expect(counted.calls).toBe(0);
    expect(fake.files).toHaveLength(0);
  });
});
