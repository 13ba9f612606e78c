// What a failed call means for a screen: the service's message and, for validation errors,
// which field caused each. The calls themselves go through the generated clients (client.ts).

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
export const csrfToken = () => csrf;

// The services answer {"error", "message", "details": [{"field": "body.email", "message"}]}.
type Detail = { field?: string; message?: string };

export async function failure(res: Response): Promise<ApiError> {
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
