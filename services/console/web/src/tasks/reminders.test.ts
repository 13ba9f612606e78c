import { describe, expect, it } from "vitest";
import type { Task } from "../types";
import { newlyReminded, remindMinutes } from "./reminders";

const task = (id: string, reminded_at: string | null) => ({ id, reminded_at }) as unknown as Task;

describe("the reminders feed", () => {
  it("announces a reminder once, not the ones there on the first look", () => {
    const first = newlyReminded([task("a", "10:00"), task("b", null)], null);
    expect(first.fresh).toEqual([]);
    const second = newlyReminded([task("a", "10:00"), task("b", "10:05")], first.seen);
    expect(second.fresh.map((t) => t.id)).toEqual(["b"]);
    const third = newlyReminded([task("a", "10:00"), task("b", "10:05")], second.seen);
    expect(third.fresh).toEqual([]);
  });

  it("announces a snoozed task's new reminder again", () => {
    const seen = newlyReminded([task("a", "10:00")], null).seen;
    expect(newlyReminded([task("a", "11:00")], seen).fresh.map((t) => t.id)).toEqual(["a"]);
  });

  it("sends the minutes chosen, or none", () => {
    expect([remindMinutes("none"), remindMinutes("0"), remindMinutes("60"), remindMinutes(null)]).toEqual([null, 0, 60, null]);
  });
});
