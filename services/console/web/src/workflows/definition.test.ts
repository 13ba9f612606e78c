import { describe, expect, it } from "vitest";
import { fromDefinition, newStep, newTrigger, splitDuration, stepErrors, toDefinition } from "./definition";

describe("a workflow in the builder", () => {
  it("opens a stored definition without the nulls its defaults are spelled with", () => {
    const stored = {
      name: "Pricing",
      trigger: { type: "interaction_count" as const, interaction_type: "page_visit", event_name: null, count: 3, within_days: 7, conditions: [] },
      enrollment: { policy: "once" as const, days: null },
      steps: [{ id: "mail", type: "send_email" as const, subject: "Hi", body: "…", template_id: null, template_version: null, from: null }],
      goal: [],
    };
    const draft = fromDefinition(stored as never);
    expect(draft.steps[0]).toEqual({ id: "mail", type: "send_email", subject: "Hi", body: "…" });
    expect("event_name" in draft.trigger).toBe(false);
  });

  it("sends what the service takes: empty optional parts left out", () => {
    const draft = fromDefinition({ name: "  W  ", trigger: newTrigger("stage_changed"), steps: [] });
    draft.steps = [
      { ...newStep("send_email", []), template_id: "tpl_1", subject: "left over", body: "left over" },
      { ...newStep("update_contact", []), id: "u", set: { "": "", plan: "pro" }, stage: "" },
      { ...newStep("if", []), id: "b", then: "" },
    ];
    const sent = toDefinition(draft);
    expect(sent.name).toBe("W");
    expect(sent.steps[0]).toEqual({ id: "send-email-1", type: "send_email", template_id: "tpl_1" });
    expect(sent.steps[1]).toEqual({ id: "u", type: "update_contact", set: { plan: "pro" }, add_tags: [] });
    expect("then" in sent.steps[2]).toBe(false);
    expect(sent.enrollment).toEqual({ policy: "once" });
  });

  it("gives new steps ids not yet taken", () => {
    const first = newStep("wait", []);
    const second = newStep("wait", [first, { ...first, id: "wait-2" }]);
    expect([first.id, second.id]).toEqual(["wait-1", "wait-3"]);
  });

  it("shows a duration in the largest unit that divides it", () => {
    expect(splitDuration(3 * 86400)).toEqual({ amount: 3, unit: 86400 });
    expect(splitDuration(90 * 60)).toEqual({ amount: 90, unit: 60 });
    expect(splitDuration(7200)).toEqual({ amount: 2, unit: 3600 });
  });

  it("puts each error where it belongs, a whole-definition one at the step it names", () => {
    const out = stepErrors(
      {
        "steps.1.seconds": "too long",
        "trigger.count": "at least 1",
        "goal.0.value": "needs a value",
        _: "step 'mail' jumps to unknown step 'nope'",
        name: "too short",
      },
      ["wait", "mail"],
    );
    expect(out.steps).toEqual({ 1: ["too long", "step 'mail' jumps to unknown step 'nope'"] });
    expect(out.trigger).toEqual(["at least 1"]);
    expect(out.goal).toEqual(["needs a value"]);
    expect(out.other).toEqual(["name: too short"]);
  });
});
