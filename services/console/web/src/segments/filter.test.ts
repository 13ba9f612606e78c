import { describe, expect, it } from "vitest";
import { draftToFilter, errorsByGroup } from "./filter";

describe("a segment as a person builds it", () => {
  it("makes the contact filter: fields ANDed, OR and NOT groups, blanks left out", () => {
    const filter = draftToFilter({
      all: [
        { kind: "tag", value: "b2b" },
        { kind: "tag", value: " vip " },
        { kind: "min_score", value: "40" },
        { kind: "activity", value: "3", name: "page_visit" },
        { kind: "company", value: "  " },
      ],
      any: [[{ kind: "company", value: "Acme" }], [{ kind: "custom", name: "plan", value: "pro" }], [{ kind: "stage", value: "" }]],
      none: [[{ kind: "stage", value: "customer" }]],
    });
    expect(filter).toEqual({
      tags: ["b2b", "vip"],
      min_score: 40,
      min_activity: { page_visit: 3 },
      any_of: [{ company: "Acme" }, { custom: { plan: "pro" } }],
      none_of: [{ stage: ["customer"] }],
    });
  });

  it("puts the service's errors on the group and field that caused them", () => {
    const out = errorsByGroup({
      "filter.stage.0": "not a stage",
      "filter.none_of.0.custom": "not a plain identifier",
      "filter.any_of.1.min_score": "a number",
      name: "required",
    });
    expect(out).toEqual({ all: { stage: "not a stage" }, "none.0": { custom: "not a plain identifier" }, "any.1": { min_score: "a number" } });
  });
});
