// Typed clients of the console and the four services, generated from their OpenAPI
// (openapi-fetch over src/generated): a path, its parameters, the body and the answer are the
// ones the service documents, so a renamed field fails `tsc`, not a marketer's screen.
import createClient, { createQuerySerializer, type Client, type Middleware } from "openapi-fetch";
import { csrfToken, failure } from "./api";
import type { paths as AutomationPaths } from "./generated/automation";
import type { paths as ConsolePaths } from "./generated/console";
import type { paths as ContactsPaths } from "./generated/contacts";
import type { paths as ReportingPaths } from "./generated/reporting";
import type { paths as ScoringPaths } from "./generated/scoring";

// As the signed-in person: the session cookie, the CSRF token on changes, signed out on a 401,
// and every failure an ApiError with the field each message belongs to.
const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET") request.headers.set("x-csrf-token", csrfToken());
    return request;
  },
  async onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith("/auth/")) {
      window.dispatchEvent(new Event("lodestone:signed-out"));
    }
    if (!response.ok) throw await failure(response);
    return undefined;
  },
};

// Empty filter fields mean "any", as the old hand-written query builder had it.
const serialize = createQuerySerializer();
const querySerializer = (q: Record<string, unknown>) =>
  serialize(Object.fromEntries(Object.entries(q).filter(([, v]) => v !== "")));

// Answers read as JSON (a report's CSV is for downloads, not these clients).
function client<Paths extends {}>(baseUrl: string): Client<Paths, "application/json"> {
  const c = createClient<Paths, "application/json">({
    baseUrl,
    credentials: "same-origin",
    querySerializer,
    fetch: (request) => globalThis.fetch(request), // looked up per call: tests stub it
  });
  c.use(session);
  return c;
}

// Relative to the page: the console serves the app and proxies /api/{service}/... .
const origin = () => (typeof window === "undefined" ? "" : window.location.origin);
export const consoleApi = client<ConsolePaths>(origin());
export const contacts = client<ContactsPaths>(`${origin()}/api/contacts`);
export const scoring = client<ScoringPaths>(`${origin()}/api/scoring`);
export const automation = client<AutomationPaths>(`${origin()}/api/automation`);
export const reporting = client<ReportingPaths>(`${origin()}/api/reporting`);

// The answer of a call: only one that succeeded returns (the middleware above throws the rest).
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  return (await call).data as T;
}

// A file as the request's body, with its type (a CSV to import).
export const fileBody = (file: Blob, type: string) => ({
  body: file as unknown as string,
  bodySerializer: () => file,
  headers: { "content-type": type },
});

// A file as a multipart form's `file` part: the browser sets its type and boundary.
export const fileForm = (file: File) => ({
  body: { file: file as unknown as string },
  bodySerializer: () => {
    const form = new FormData();
    form.append("file", file);
    return form;
  },
});

// Where the browser downloads a file from (the session cookie signs the request).
export function downloadUrl(service: "contacts", path: string, query: Record<string, string | number> = {}): string {
  const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return `/api/${service}${path}${q ? `?${q}` : ""}`;
}

// A builder's draft goes as drawn, possibly unfinished: the service is its validator and its
// errors show at the step or rule they name. The one place a body is not checked by `tsc`.
export const asDrawn = (value: unknown) => value as never;
