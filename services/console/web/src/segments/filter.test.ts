import { describe, expect, it } from "vitest";
import { countText, draftToFilter, errorsByGroup, KIND_GROUPS, KINDS } from "./filter";

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

  it("says purchase history and dates relative to now as the service's conditions", () => {
    const filter = draftToFilter({
      all: [
        { kind: "bought", value: " W-1 ", days: "30", count: "2" },
        { kind: "contract_ends_within", value: "60" },
        { kind: "spent", value: "100", name: "EUR" },
        { kind: "active_within", value: "" },
      ],
      any: [[{ kind: "bought_category", value: "gear" }], [{ kind: "created_within", value: "7" }]],
      none: [[{ kind: "bought", value: "" }], [{ kind: "inactive_for", value: "90" }, { kind: "no_purchase_for", value: "30" }]],
    });
    expect(filter).toEqual({
      purchased: [
        { product: "W-1", within_days: 30, min_orders: 2 },
        { min_spent: 100, currency: "EUR" },
      ],
      dates: [{ field: "contract_end_date", from_days: 0, to_days: 60 }],
      any_of: [{ purchased: [{ category: "gear" }] }, { dates: [{ field: "created_at", from_days: -7 }] }],
      none_of: [
        { purchased: [{}] },
        {
          dates: [
            { field: "last_activity_at", to_days: -90 },
            { field: "last_purchase_at", to_days: -30 },
          ],
        },
      ],
    });
  });

  it("offers every kind of condition once, in a group", () => {
    const offered = KIND_GROUPS.flatMap((g) => g.items.map((i) => i.value));
    expect([...offered].sort()).toEqual(KINDS.map((k) => k.value).sort());
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

describe("the live count", () => {
  it("says an exact count, a floor while counting, and an estimate with its interval", () => {
    expect(countText({ members: 2, exact: true })).toBe("2 contacts match now");
    expect(countText({ members: 10000, exact: false })).toBe("10,000 or more contacts match now (counting them all…)");
    expect(countText({ members: 142000, exact: false, estimated: true, low: 137173, high: 147527 })).toBe(
      "About 142,000 contacts match now (estimated from a sample: between 137,173 and 147,527; counting them all…)",
    );
  });
});
