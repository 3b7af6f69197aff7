// The host's own cases for the import API: every request the suite's import cases sent, as the
// server recorded it (host/server.mjs), checked here on its own: both JWTs verified with node:crypto
// and with jose (PS512, salt 64), their claims and payload as the spec and the official SDK 16's
// recorded requests say, and each body against what the suite generated from the same seed.

import { constants, createHash, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";
import { compactVerify, importSPKI } from "jose";
import { FHIR_BUNDLE, FHIR_VERSIONS, PUSHES, patternBytes, pushDescriptor } from "../src/data.ts";

const V16_PATH = createRequire(import.meta.url).resolve("@digime-edge/fixtures/official-v16-requests.json");
const IMPORT = "/v1.7/permission-access/import";
const ACCOUNTS = "/v1.7/permission-access/accounts";
const JWT_HEADER = '{"alg":"PS512","typ":"JWT"}';

const fromB64url = (s) => Buffer.from(s, "base64url");
const decodeJwt = (jwt) => {
  const [h = "", p = ""] = jwt.split(".");
  return { headerText: fromB64url(h).toString("utf8"), payload: JSON.parse(fromB64url(p).toString("utf8")) };
};
const bearer = (r) => String(r.headers.authorization ?? "").replace(/^Bearer /, "");
const ok = (r) => r.status >= 200 && r.status < 300;

const official16 = () => JSON.parse(readFileSync(V16_PATH, "utf8"));

/** The claim names of the official SDK 16's request JWT on the import API (its recorded push). */
function officialClaims() {
  const push = official16().requests.find((r) => r.call === "pushData library");
  return Object.keys(decodeJwt(push.headers.authorization.slice(7)).payload).sort();
}

/** Which of our requests corresponds to each call the official SDK 16 was recorded making. */
const OFFICIAL_CALLS = {
  "pushData library": (r) => r.path === IMPORT,
  "pushData provider": (r) => r.path.startsWith(`${IMPORT}/h:accountId/fhir/`),
  readAccounts: (r) => r.path === ACCOUNTS,
  deleteUser: (r) => r.path === "/v1.7/user",
};
// How a body is framed differs by input (a stream is chunked, bytes have a length): not compared.
const FRAMING = new Set(["content-length", "transfer-encoding"]);

/** A PS512 (salt 64) verifier that holds only when node:crypto and jose both accept the token. */
async function verifier(spkiPem) {
  const joseKey = await importSPKI(spkiPem, "PS512");
  return async (jwt) => {
    const [h, p, s] = jwt.split(".");
    const byNode = verify(
      "sha512",
      Buffer.from(`${h}.${p}`),
      { key: spkiPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
      fromB64url(s ?? ""),
    );
    const byJose = await compactVerify(jwt, joseKey, { algorithms: ["PS512"] }).then(
      () => true,
      () => false,
    );
    if (!byNode || !byJose) throw new Error(`a JWT does not verify (node:crypto ${byNode}, jose ${byJose})`);
  };
}

/** Runs `check`, turning a throw into a failed result named `name`. */
async function hostCase(name, check) {
  try {
    await check();
    return { name: `host: ${name}`, ok: true, ms: 0 };
  } catch (err) {
    return { name: `host: ${name}`, ok: false, ms: 0, error: String(err?.message ?? err) };
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * The host's import cases. `recorded` is the server's record, `target` what the suite was given,
 * `contractSpki` the contract's public key. With `streams`, the stream push must have come chunked.
 */
export async function checkImports(recorded, { target, contractSpki, streams }) {
  const verifyPs512 = await verifier(contractSpki);
  const clientId = `${target.applicationId}_${target.importContractId}`;
  const mine = recorded.filter((r) => {
    const jwt = bearer(r);
    return jwt !== "" && decodeJwt(jwt).payload.client_id === clientId;
  });
  const api = mine.filter((r) => !r.path.endsWith("/oauth/authorize"));
  const pushes = api.filter((r) => r.path === IMPORT);
  const referenceOf = (r) =>
    decodeJwt(String(r.headers.filedescriptor ?? "")).payload.metadata?.reference?.[0];
  const out = [];

  out.push(
    await hostCase("v10 sign-in: the redirect_uri claim is the callback; state sent", async () => {
      const signIns = mine.filter((r) => r.path.endsWith("/oauth/authorize"));
      expect(signIns.length === 1, `${signIns.length} sign-ins of the import contract, expected 1`);
      const [signIn] = signIns;
      await verifyPs512(bearer(signIn));
      const { payload } = decodeJwt(bearer(signIn));
      expect(payload.redirect_uri === target.redirectUri, `redirect_uri ${payload.redirect_uri}`);
      expect(payload.state === "conformance-import", `state ${payload.state}`);
    }),
  );

  out.push(
    await hostCase(
      "every import API request's JWT verifies (node:crypto, jose): the official SDK 16's claims",
      async () => {
        const claims = officialClaims();
        expect(api.length >= 15, `only ${api.length} requests of the import API`);
        const nonces = new Set();
        for (const r of api) {
          const jwt = bearer(r);
          expect(
            decodeJwt(jwt).headerText === JWT_HEADER,
            `${r.path}: JWT header ${decodeJwt(jwt).headerText}`,
          );
          await verifyPs512(jwt);
          const { payload } = decodeJwt(jwt);
          expect(
            isDeepStrictEqual(Object.keys(payload).sort(), claims),
            `${r.path}: claims ${Object.keys(payload)}`,
          );
          expect(/^[A-Za-z0-9]{32}$/.test(payload.nonce), `${r.path}: nonce`);
          expect(Math.abs(Date.now() - payload.timestamp) < 600_000, `${r.path}: timestamp`);
          expect(!nonces.has(payload.nonce), `${r.path}: a nonce used twice`);
          nonces.add(payload.nonce);
        }
      },
    ),
  );

  out.push(
    await hostCase(
      "each call sends the headers the official SDK 16 sent for it, with its method",
      async () => {
        for (const [call, matches] of Object.entries(OFFICIAL_CALLS)) {
          const theirs = official16().requests.find((r) => r.call === call);
          const ours = api.filter(matches);
          expect(ours.length > 0, `${call}: not sent`);
          for (const r of ours) {
            expect(r.method === theirs.method, `${call}: method ${r.method}, official ${theirs.method}`);
            for (const name of Object.keys(theirs.headers)) {
              expect(FRAMING.has(name) || name in r.headers, `${call}: no ${name} header`);
            }
          }
        }
      },
    ),
  );

  for (const [kind, c] of Object.entries(PUSHES)) {
    out.push(
      await hostCase(
        `library push ${kind}: FileDescriptor exactly { metadata }, octet-stream, the raw bytes`,
        async () => {
          const sent = pushes.filter((r) => referenceOf(r) === c.reference);
          const sha = createHash("sha256").update(patternBytes(c.seed, c.size)).digest("hex");
          const refused = kind === "refreshed" || kind === "spent";
          const statuses = sent.map((r) => r.status);
          // Refused once with the stale token (401 InvalidToken), then sent with the new one: by the
          // SDK (bytes, or a browser's gathered Blob) or, for a spent stream, given again by the suite.
          const expected = refused ? [401, 200] : [200];
          expect(isDeepStrictEqual(statuses, expected), `answers ${statuses}, expected ${expected}`);
          if (refused) {
            expect(sent[0].errorCode === "InvalidToken", `refused with ${sent[0].errorCode}`);
            const tokens = sent.map((r) => decodeJwt(bearer(r)).payload.access_token);
            expect(tokens[0] !== tokens[1], "the second push used the same access token");
          }
          for (const r of sent) {
            const fd = String(r.headers.filedescriptor ?? "");
            const { headerText, payload } = decodeJwt(fd);
            expect(headerText === JWT_HEADER, `FileDescriptor header ${headerText}`);
            await verifyPs512(fd);
            expect(
              isDeepStrictEqual(payload, { metadata: pushDescriptor(c) }),
              `payload ${JSON.stringify(payload)}`,
            );
            expect(
              r.headers["content-type"] === "application/octet-stream",
              `Content-Type ${r.headers["content-type"]}`,
            );
            // Never an empty or short body: every attempt carried the whole file.
            expect(r.body.length === c.size, `body of ${r.body.length} bytes, expected ${c.size}`);
            expect(
              createHash("sha256").update(r.body).digest("hex") === sha,
              "the body differs from the file",
            );
            expect(!JSON.stringify(r.headers).includes("not-sent"), "the file name was sent");
          }
          if (kind === "stream") {
            const chunked = sent[0].headers["transfer-encoding"] === "chunked";
            expect(
              chunked === streams,
              `sent ${chunked ? "chunked" : "with a length"}, expected ${streams ? "chunked" : "a Blob"}`,
            );
          }
        },
      ),
    );
  }

  out.push(
    await hostCase(
      "provider pushes: …/h:accountId/fhir/{stu3,3.0.2}, accountId header, the JSON, no FileDescriptor",
      async () => {
        const fhir = api.filter((r) => r.path.startsWith(`${IMPORT}/`));
        // The user's accounts as the emulator listed them to the suite (its first readAccounts).
        const listed = api.find((r) => r.path === ACCOUNTS && ok(r));
        const typeOf = (id) => JSON.parse(listed?.answer ?? "[]").find((a) => a.id === id)?.type;
        const accepted = fhir.filter(ok);
        expect(
          isDeepStrictEqual(
            accepted.map((r) => r.path),
            FHIR_VERSIONS.map((v) => `${IMPORT}/h:accountId/fhir/${v}`),
          ),
          `accepted ${accepted.map((r) => r.path)}`,
        );
        for (const r of fhir) {
          expect(r.method === "POST", `method ${r.method}`);
          expect(
            r.headers["content-type"] === "application/json",
            `Content-Type ${r.headers["content-type"]}`,
          );
          expect(r.headers.filedescriptor === undefined, "a FileDescriptor header");
          expect(
            typeof r.headers.accountid === "string" && r.headers.accountid !== "",
            "no accountId header",
          );
        }
        for (const r of accepted) {
          expect(
            isDeepStrictEqual(JSON.parse(r.body.toString("utf8")), FHIR_BUNDLE),
            "the body differs from the resource",
          );
          expect(
            typeOf(r.headers.accountid) === "PUSH",
            `pushed to a ${typeOf(r.headers.accountid)} account`,
          );
        }
        const refused = fhir
          .filter((r) => !ok(r))
          .map((r) => `${r.status} ${r.errorCode} ${typeOf(r.headers.accountid)}`);
        expect(
          isDeepStrictEqual(refused, ["404 AccountNotFound undefined", "403 InsufficientScope IMPORTED"]),
          `refused ${refused}`,
        );
      },
    ),
  );

  out.push(
    await hostCase(
      "readAccounts: GET permission-access/accounts, no body; deleteUser: DELETE user, no body, once",
      async () => {
        const accounts = api.filter((r) => r.path === ACCOUNTS);
        const statuses = accounts.map((r) => r.status);
        // listed; refused with the expired token, then listed; refused after the deletion
        expect(isDeepStrictEqual(statuses, [200, 401, 200, 401]), `accounts answers ${statuses}`);
        for (const r of accounts)
          expect(r.method === "GET" && r.body.length === 0, `${r.method} with ${r.body.length} bytes`);
        const deletions = api.filter((r) => r.path === "/v1.7/user");
        expect(deletions.length === 1 && deletions[0].method === "DELETE", `${deletions.length} deletions`);
        expect(deletions[0].body.length === 0 && ok(deletions[0]), `deletion: ${deletions[0].status}`);
      },
    ),
  );
  return out;
}
