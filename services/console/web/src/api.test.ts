import { describe, expect, it } from "vitest";
import { ApiError, fieldErrors } from "./api";

describe("errors onto fields", () => {
  it("merges the fields of a screen's calls, later calls winning, anything else ignored", () => {
    const check = new ApiError(422, "bad", { "steps.0.subject": "needs text", name: "too short" });
    const save = new ApiError(422, "bad", { name: "taken" });
    expect(fieldErrors(check, save, new Error("network"), null, undefined)).toEqual({ "steps.0.subject": "needs text", name: "taken" });
    expect(fieldErrors()).toEqual({});
  });
});
