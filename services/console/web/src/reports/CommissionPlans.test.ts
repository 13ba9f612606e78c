import { describe, expect, it } from "vitest";
import { toBody, toValues } from "./CommissionPlans";

const saved = {
  id: "east",
  name: "East",
  reps: ["ana"],
  teams: ["east"],
  currency: "EUR",
  effective_from: "2027-01-01",
  effective_to: null,
  default_rate: 0.02,
  rates: [
    { product: "pro", category: null, rate: 0.1 },
    { product: null, category: "services", rate: 0.055 },
  ],
  stage_bonuses: [{ stage: "customer" as const, amount: 100 }],
  updated_at: "2027-01-01T00:00:00Z",
  updated_by: "manager",
};

describe("a commission plan in the editor", () => {
  it("shows shares as percentages and sends them back as shares", () => {
    const values = toValues(saved);
    expect(values.default_rate).toBe(2);
    expect(values.rates).toEqual([
      { on: "product", what: "pro", rate: 10 },
      { on: "category", what: "services", rate: 5.5 },
    ]);
    const body = toBody(values);
    expect(body.default_rate).toBeCloseTo(0.02);
    expect(body.rates).toEqual([
      { product: "pro", rate: 0.1 },
      { category: "services", rate: 0.055 },
    ]);
    expect(body.effective_to).toBeNull();
    expect(body.stage_bonuses).toEqual([{ stage: "customer", amount: 100 }]);
  });
});
