import { describe, expect, it } from "vitest";
import { changeLabel, intervalFor, toProductBody } from "./Products";

describe("the products card and catalog", () => {
  it("says how the last period sold against the one before", () => {
    expect(changeLabel(0.5, 3)).toEqual({ text: "+50 %", color: "green" });
    expect(changeLabel(-0.25, 3)).toEqual({ text: "−25 %", color: "red" });
    expect(changeLabel(0, 3)).toEqual({ text: "±0 %", color: "gray" });
    expect(changeLabel(null, 2)).toEqual({ text: "new", color: "blue" }); // nothing sold before
    expect(changeLabel(null, 0)).toEqual({ text: "—", color: "gray" });
  });

  it("draws weeks for periods over a month, days otherwise", () => {
    expect(intervalFor("2026-11-01", "2026-11-30")).toBe("day");
    expect(intervalFor("2026-01-01", "2026-12-31")).toBe("week");
    expect(intervalFor(undefined, undefined)).toBe("day");
  });

  it("sends a product with blanks as none", () => {
    expect(toProductBody({ sku: "P", name: "Pro", category: "  ", price: "", cost: 12.5, currency: "EUR" })).toEqual({
      name: "Pro",
      category: null,
      price: null,
      cost: 12.5,
      currency: "EUR",
    });
  });
});
