import { NetworkError, ServerError } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { describeDigiMeFailure } from "../../src/lib/digime";

describe("describeDigiMeFailure: what a NetworkError says about the file", () => {
  it("not-sent (sdk-core knows no byte of the file went out): DIGIME_UNREACHABLE_NOT_SENT", () => {
    for (const code of ["NETWORK", "TIMEOUT", "ABORTED"]) {
      expect(describeDigiMeFailure(new NetworkError("x", { code, delivery: "not-sent" }))).toMatchObject({
        status: 503,
        code: "DIGIME_UNREACHABLE_NOT_SENT",
        retryAfter: 5,
      });
    }
  });

  it("unknown, or not a write (undefined): DIGIME_UNREACHABLE / DIGIME_TIMEOUT, outcome unknown", () => {
    for (const delivery of ["unknown", undefined] as const) {
      expect(describeDigiMeFailure(new NetworkError("x", { delivery }))).toMatchObject({
        status: 503,
        code: "DIGIME_UNREACHABLE",
      });
      expect(describeDigiMeFailure(new NetworkError("x", { code: "TIMEOUT", delivery }))).toMatchObject({
        status: 503,
        code: "DIGIME_TIMEOUT",
      });
    }
  });

  it("an answer from digi.me is never taken for not-sent", () => {
    const error = new ServerError("x", { status: 503, code: "Unavailable" });
    expect(describeDigiMeFailure(error).code).toBe("DIGIME_UNAVAILABLE");
  });
});

describe("describeDigiMeFailure: digi.me's Retry-After reaches the app", () => {
  it("DIGIME_UNAVAILABLE carries digi.me's wait, in whole seconds from 1 s to 1 h; 5 s when it gave none", () => {
    const unavailable = (status: number, retryAfterMs?: number) =>
      describeDigiMeFailure(new ServerError("x", { status, code: "Busy", retryAfterMs }));
    expect(unavailable(503, 30_000)).toMatchObject({ code: "DIGIME_UNAVAILABLE", retryAfter: 30 });
    expect(unavailable(429, 1_500)).toMatchObject({ code: "DIGIME_UNAVAILABLE", retryAfter: 2 });
    expect(unavailable(429, 0)).toMatchObject({ retryAfter: 1 });
    expect(unavailable(503, 86_400_000)).toMatchObject({ retryAfter: 3600 });
    expect(unavailable(503)).toMatchObject({ retryAfter: 5 });
  });
});
