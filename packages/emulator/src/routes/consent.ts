import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { PROVIDERS } from "../accounts.ts";
import { type AppEnv, type EmulatorContext, PATHS } from "../context.ts";
import { injectFaults } from "../faults.ts";
import { messagePage, page } from "../html.ts";
import { limitBody } from "../middleware/limit-body.ts";
import { countRequests } from "../stats.ts";
import { newId, type Preauthorization } from "../store.ts";

const generateRsa = promisify(generateKeyPair);

/** `errorCode` sent to `callback` when the person denies. */
export const DENIED_ERROR_CODE = "AccessDenied";
/** `errorCode` sent to `callback` when the code is unknown, used or expired. */
export const INVALID_CODE_ERROR_CODE = "InvalidPreauthorizationCode";

/** Builds `base?k=v&...` with every value percent-encoded (so `+` and spaces in a PEM survive any decoder). */
const withQuery = (base: string, params: Record<string, string | null | undefined>): string => {
  const url = new URL(base);
  const extra = Object.entries(params)
    .filter((e): e is [string, string] => typeof e[1] === "string")
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  url.search = url.search ? `${url.search}&${extra}` : `?${extra}`;
  return url.href;
};

const httpUrl = (value: string | undefined): string | undefined => {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : undefined;
  } catch {
    return undefined;
  }
};

/** The `sourceType` of the onboarding URL: `pull` (the default) or `push` (provider pushes). */
export type SourceType = "pull" | "push";

/** What a consent gives the app besides the code: its postbox, or (import contract) an account. */
interface Grant {
  /** The postbox the code is for ("" for an import contract). */
  postboxId: string;
  /** Added to the redirect after `success`, `code` and `state`. */
  query: Record<string, string>;
}

/**
 * An import contract's grant: the user's `IMPORTED` account for this contract and, with
 * `sourceType=push`, a `PUSH` account of the fake health provider; `accountReference` is the PUSH
 * account's reference after a push sign-in, else the import account's.
 */
const importGrant = (
  ctx: EmulatorContext,
  pre: Preauthorization,
  userId: string,
  sourceType: SourceType,
): Grant => {
  const account = (provider: "import" | "health") =>
    ctx.accounts.ensure(
      {
        id: ctx.newId(provider === "import" ? "importAccount" : "pushAccount"),
        reference: ctx.newId(provider === "import" ? "importAccountReference" : "pushAccountReference"),
        userId,
        clientId: pre.clientId,
        provider,
      },
      ctx.now(),
    );
  const imported = account("import");
  const onboarded = sourceType === "push" ? account("health") : imported;
  return { postboxId: "", query: { accountReference: onboarded.reference } };
};

/** A postbox contract's grant: the postbox of that user and contract, made (a fresh RSA key pair) when missing. */
const postboxGrant = async (ctx: EmulatorContext, pre: Preauthorization, userId: string): Promise<Grant> => {
  const { store } = ctx;
  let postbox = store.findPostbox(userId, pre.clientId);
  if (!postbox) {
    const { publicKey, privateKey } = await generateRsa("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "pkcs1", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    postbox =
      store.findPostbox(userId, pre.clientId) ??
      store.createPostbox({
        id: newId("pb_", 16),
        userId,
        clientId: pre.clientId,
        publicKey,
        privateKey,
        createdAt: ctx.now(),
      });
  }
  return { postboxId: postbox.id, query: { postboxId: postbox.id, publicKey: postbox.publicKey } };
};

/**
 * Gives consent: creates the user on first consent (or reuses the one the authorization named),
 * makes the grant (a postbox contract's postbox, an import contract's accounts), issues a one-time
 * authorization code, and returns the redirect to the contract's redirect URI with
 * `success=true&code&state` and `postboxId&publicKey` (postbox contract) or `accountReference`
 * (import contract).
 */
export async function approve(
  ctx: EmulatorContext,
  pre: Preauthorization,
  sourceType: SourceType = "pull",
): Promise<string> {
  const { store } = ctx;
  const user = (pre.userId && store.getUser(pre.userId)) || store.createUser(ctx.now());
  const grant =
    store.getContract(pre.clientId)?.writeApi === "import"
      ? importGrant(ctx, pre, user.id, sourceType)
      : await postboxGrant(ctx, pre, user.id);
  const code = store.createAuthorizationCode({
    code: ctx.newId("authorizationCode"),
    clientId: pre.clientId,
    userId: user.id,
    postboxId: grant.postboxId,
    codeChallenge: pre.codeChallenge,
    expiresAt: ctx.now() + ctx.settings.authorizationCodeTtlMs,
    createdAt: ctx.now(),
  });
  ctx.stats.current.consents.allowed++;
  return withQuery(pre.redirectUri, { success: "true", code: code.code, state: pre.state, ...grant.query });
}

const sourceTypeOf = (value: string | undefined): SourceType | undefined =>
  value === undefined || value === "" || value === "pull" ? "pull" : value === "push" ? "push" : undefined;

type Lookup = { pre: Preauthorization } | { problem: string };

const lookUp = (ctx: EmulatorContext, code: string | undefined): Lookup => {
  const pre = code ? ctx.store.getPreauthorization(code) : undefined;
  if (!pre) return { problem: "This authorization link is not valid." };
  if (pre.usedAt !== null) return { problem: "This authorization was already answered." };
  if (pre.expiresAt <= ctx.now()) return { problem: "This authorization link has expired." };
  return { pre };
};

/** On a bad code: back to `callback` with `success=false` when there is one, else a page. */
const refuse = (c: Context<AppEnv>, problem: string, callback: string | undefined) => {
  const target = httpUrl(callback);
  if (target)
    return c.redirect(withQuery(target, { success: "false", errorCode: INVALID_CODE_ERROR_CODE }), 302);
  return c.html(messagePage("Cannot continue", problem), 400);
};

const consentPage = (
  ctx: EmulatorContext,
  pre: Preauthorization,
  callback: string,
  service: string | undefined,
  sourceType: SourceType,
) => {
  const contract = ctx.store.getContract(pre.clientId);
  const name = contract?.name ?? pre.clientId;
  const linked = pre.userId ? ctx.store.getUser(pre.userId) : undefined;
  return page(
    `Allow ${name}`,
    html`<div class="card consent">
      <h1>Allow <em>${name}</em> to write to your library?</h1>
      <p><strong>${name}</strong> asks to add files to your digi.me library.</p>
      <ul class="facts">
        <li>It can add files to your library, for you to keep.</li>
        <li>It cannot read, change or delete what is in your library.</li>
        <li>${linked ? html`Files go to your existing library (<code>${linked.id}</code>).` : "A library is created for you if you have none."}</li>
        ${service ? html`<li>You will also be asked to connect the service <code>${service}</code> (not emulated).</li>` : ""}
        ${sourceType === "push" ? html`<li>It can also send health records (FHIR) to your account at <em>${PROVIDERS.health.serviceProviderName}</em> (emulated), which is connected for you.</li>` : ""}
      </ul>
      <p class="muted">Application <code>${contract?.applicationId ?? "?"}</code>, contract <code>${contract?.contractId ?? "?"}</code></p>
      <form method="post" action="${PATHS.onboard}authorize">
        <input type="hidden" name="code" value="${pre.code}" />
        <input type="hidden" name="callback" value="${callback}" />
        <input type="hidden" name="sourceType" value="${sourceType}" />
        <div class="actions">
          <button type="submit" name="decision" value="deny">Deny</button>
          <button type="submit" name="decision" value="allow" class="primary">Allow</button>
        </div>
      </form>
    </div>`,
  );
};

/**
 * The consent page under `{onboardUrl}authorize`. `GET ?code&callback[&sourceType][&service]`
 * (the other onboarding parameters, `sampleDataSet`, `lng`, `sourcesScope`... are accepted and
 * ignored; `sourceType` other than `pull` or `push` gives a 400 page) shows it (or,
 * with auto-approve on, redirects straight to the contract's redirect URI); the page's form
 * `POST`s `decision=allow|deny`. Deny sends the person to `callback` with
 * `success=false&errorCode=AccessDenied` (an import contract's sign-in may have no `callback`:
 * then to its redirect URI).
 */
export const consentRoutes = (ctx: EmulatorContext) =>
  new Hono<AppEnv>()
    .use(countRequests({ stats: ctx.stats, route: "consent" }))
    .use(injectFaults({ faults: ctx.faults, stats: ctx.stats, route: "consent" }))
    .get("/", async (c) => {
      const { code, callback = "", service } = c.req.query();
      const sourceType = sourceTypeOf(c.req.query("sourceType"));
      if (!sourceType) return c.html(messagePage("Cannot continue", "sourceType is pull or push."), 400);
      const found = lookUp(ctx, code);
      if ("problem" in found) return refuse(c, found.problem, callback);
      if (ctx.settings.autoApprove && ctx.store.usePreauthorization(found.pre.code, ctx.now())) {
        return c.redirect(await approve(ctx, found.pre, sourceType), 302);
      }
      return c.html(consentPage(ctx, found.pre, callback, service, sourceType));
    })
    .post("/", limitBody(), async (c) => {
      const form = await c.req.parseBody();
      const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : undefined);
      const callback = field("callback");
      const sourceType = sourceTypeOf(field("sourceType"));
      if (!sourceType) return c.html(messagePage("Cannot continue", "sourceType is pull or push."), 400);
      const found = lookUp(ctx, field("code"));
      if ("problem" in found) return refuse(c, found.problem, callback);
      const decision = field("decision");
      if (decision !== "allow" && decision !== "deny") {
        return c.html(messagePage("Cannot continue", "Choose Allow or Deny."), 400);
      }
      if (!ctx.store.usePreauthorization(found.pre.code, ctx.now())) {
        return refuse(c, "This authorization was already answered.", callback);
      }
      if (decision === "allow") return c.redirect(await approve(ctx, found.pre, sourceType), 302);
      ctx.stats.current.consents.denied++;
      // From the SDK's version 10 the onboarding URL has no callback: the redirect URI is it.
      const importContract = ctx.store.getContract(found.pre.clientId)?.writeApi === "import";
      const target = httpUrl(callback) ?? (importContract ? found.pre.redirectUri : undefined);
      if (target)
        return c.redirect(withQuery(target, { success: "false", errorCode: DENIED_ERROR_CODE }), 302);
      return c.html(messagePage("Access denied", `You did not allow this app to write to your library.`));
    });
