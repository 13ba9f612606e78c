import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, setCsrf } from "./api";
import { automation, contacts, ok } from "./client";

type Seen = { url: string; method: string; headers: Headers; body: string | null };

// fetch answering `status` with `body`, remembering what was asked.
function answering(status: number, body: unknown): Seen[] {
  const seen: Seen[] = [];
  vi.stubGlobal("fetch", async (request: Request) => {
    seen.push({ url: request.url, method: request.method, headers: request.headers, body: request.body ? await request.text() : null });
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  });
  return seen;
}

afterEach(() => vi.unstubAllGlobals());

describe("the generated clients", () => {
  it("call the service through the console's proxy, with the path filled and empty filters left out", async () => {
    const seen = answering(200, { items: [], next_cursor: null });
    await ok(contacts.GET("/v1/contacts", { params: { query: { email: "", stage: "lead", limit: 5 } } }));
    const url = new URL(seen[0].url);
    expect(url.pathname).toBe("/api/contacts/v1/contacts");
    expect(url.search).toBe("?stage=lead&limit=5");
    await ok(automation.GET("/v1/workflows/{workflow_id}/progress", { params: { path: { workflow_id: "wf 1" } } }));
    expect(new URL(seen[1].url).pathname).toBe("/api/automation/v1/workflows/wf%201/progress");
  });

  it("send the CSRF token with changes, not with reads", async () => {
    setCsrf("t0ken");
    const seen = answering(200, {});
    await ok(automation.PATCH("/v1/tasks/{task_id}", { params: { path: { task_id: "t1" } }, body: { status: "done" } }));
    await ok(automation.GET("/v1/tasks"));
    expect(seen[0].headers.get("x-csrf-token")).toBe("t0ken");
    expect(JSON.parse(seen[0].body ?? "")).toEqual({ status: "done" });
    expect(seen[1].headers.get("x-csrf-token")).toBeNull();
  });

  it("turn a refusal into an ApiError naming each field", async () => {
    answering(422, { error: "invalid", message: "bad", details: [{ field: "body.title", message: "Value error, needs text" }] });
    const failed = await ok(automation.POST("/v1/tasks", { body: { contact_id: "c", title: "", due_at: "2026-01-01T00:00:00Z" } })).catch((e) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect(failed.status).toBe(422);
    expect(failed.fields).toEqual({ title: "needs text" });
  });

  it("say so when the session is gone", async () => {
    answering(401, { error: "unauthorized", message: "sign in" });
    const signedOut = vi.fn();
    window.addEventListener("lodestone:signed-out", signedOut);
    await expect(ok(automation.GET("/v1/tasks"))).rejects.toBeInstanceOf(ApiError);
    window.removeEventListener("lodestone:signed-out", signedOut);
    expect(signedOut).toHaveBeenCalledOnce();
  });
});
