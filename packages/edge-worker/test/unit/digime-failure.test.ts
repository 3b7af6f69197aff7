import { NetworkError, ServerError } from "@digime-edge/sdk-core";
import { describe, expect, it } from "vitest";
import { EdgeClientError } from "../../src/client.ts";
import { describeDigiMeFailure } from "../../src/lib/digime.ts";

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

  it("unknown (the file may have reached digi.me), lost or timed out: 502 DIGIME_OUTCOME_UNKNOWN, no Retry-After", () => {
    for (const code of ["NETWORK", "TIMEOUT"]) {
      const failure = describeDigiMeFailure(new NetworkError("x", { code, delivery: "unknown" }));
      expect(failure).toMatchObject({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN" });
      expect(failure.retryAfter).toBeUndefined();
      expect(failure.message).toMatch(/may be stored/);
    }
  });

  it("not a write's file (undefined: the sign-in, a token refresh): DIGIME_UNREACHABLE / DIGIME_TIMEOUT", () => {
    expect(describeDigiMeFailure(new NetworkError("x"))).toMatchObject({
      status: 503,
      code: "DIGIME_UNREACHABLE",
      retryAfter: 5,
    });
    expect(describeDigiMeFailure(new NetworkError("x", { code: "TIMEOUT" }))).toMatchObject({
      status: 503,
      code: "DIGIME_TIMEOUT",
    });
  });

  it("the typed client marks DIGIME_OUTCOME_UNKNOWN, and only it, as mayHaveArrived", () => {
    expect(new EdgeClientError(502, "DIGIME_OUTCOME_UNKNOWN", "m").mayHaveArrived).toBe(true);
    for (const code of ["DIGIME_UNREACHABLE_NOT_SENT", "DIGIME_UNREACHABLE", "NETWORK", "DIGIME_ERROR"])
      expect(new EdgeClientError(503, code, "m").mayHaveArrived).toBe(false);
  });

  it("an answer from digi.me is never taken for not-sent", () => {
    const error = new ServerError("x", { status: 503, code: "Unavailable" });
    expect(describeDigiMeFailure(error).code).toBe("DIGIME_UNAVAILABLE");
  });
});

describe("describeDigiMeFailure: a gateway's 502 or 504", () => {
  it("to a write: the outcome is unknown (the file may be stored)", () => {
    for (const status of [502, 504]) {
      const failure = describeDigiMeFailure(new ServerError("x", { status, code: `HTTP_${status}` }), true);
      expect(failure).toMatchObject({ status: 502, code: "DIGIME_OUTCOME_UNKNOWN" });
      expect(failure.retryAfter).toBeUndefined();
    }
  });

  it("to any other call: a digi.me failure", () => {
    for (const status of [502, 504]) {
      const failure = describeDigiMeFailure(new ServerError("x", { status, code: `HTTP_${status}` }));
      expect(failure).toMatchObject({ status: 502, code: "DIGIME_ERROR" });
    }
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
