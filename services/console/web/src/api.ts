// One way to call the console and, through it, the services as the signed-in person.
// Errors keep the service's message and, for validation errors, which field caused each.

export type Service = "contacts" | "scoring" | "automation" | "reporting";

export class ApiError extends Error {
  status: number;
  fields: Record<string, string>;
  constructor(status: number, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

// The one place an API error meets a form: which field each message belongs to, from any of
// a screen's calls (later calls win on the same field). Not an ApiError: no field.
export function fieldErrors(...errors: unknown[]): Record<string, string> {
  return Object.assign({}, ...errors.map((e) => (e instanceof ApiError ? e.fields : {})));
}

let csrf = "";
export function setCsrf(token: string) {
  csrf = token;
}

// The services answer {"error", "message", "details": [{"field": "body.email", "message"}]}.
type Detail = { field?: string; message?: string };

async function failure(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  const fields: Record<string, string> = {};
  try {
    const body = await res.json();
    if (typeof body.message === "string") message = body.message;
    const details: Detail[] = Array.isArray(body.details) ? body.details : [];
    for (const d of details) {
      const field = (d.field ?? "").replace(/^(body|query|path)\.?/, "") || "_";
      if (d.message) fields[field] = d.message.replace(/^Value error, /, "");
    }
    if (details.length && Object.keys(fields).length) {
      message = Object.entries(fields)
        .map(([f, m]) => (f === "_" ? m : `${f}: ${m}`))
        .join("; ");
    }
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, message, fields);
}

export async function request<T>(method: string, path: string, body?: unknown, raw?: BodyInit, type?: string): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  let payload: BodyInit | undefined = raw;
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  } else if (type) {
    headers["content-type"] = type;
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (res.status === 401 && !path.startsWith("/auth/")) {
    window.dispatchEvent(new Event("lodestone:signed-out"));
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

function query(params?: Record<string, string | number | boolean | undefined | null | string[]>): string {
  if (!params) return "";
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

// A service's /v1 API, as the signed-in person.
export const svc = {
  get: <T>(service: Service, path: string, params?: Parameters<typeof query>[0]) =>
    request<T>("GET", `/api/${service}/v1${path}${query(params)}`),
  post: <T>(service: Service, path: string, body: unknown) => request<T>("POST", `/api/${service}/v1${path}`, body),
  patch: <T>(service: Service, path: string, body: unknown) => request<T>("PATCH", `/api/${service}/v1${path}`, body),
  put: <T>(service: Service, path: string, body: unknown) => request<T>("PUT", `/api/${service}/v1${path}`, body),
  del: <T>(service: Service, path: string) => request<T>("DELETE", `/api/${service}/v1${path}`),
  upload: <T>(service: Service, path: string, file: Blob, type: string) =>
    request<T>("POST", `/api/${service}/v1${path}`, undefined, file, type),
  // A multipart form with one `file` part: the browser sets its type and boundary.
  uploadFile: <T>(service: Service, path: string, file: File) => {
    const form = new FormData();
    form.append("file", file);
    return request<T>("POST", `/api/${service}/v1${path}`, undefined, form);
  },
  // Where the browser downloads a file from (the session cookie signs the request).
  href: (service: Service, path: string, params?: Parameters<typeof query>[0]) => `/api/${service}/v1${path}${query(params)}`,
};
